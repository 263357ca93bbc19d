package tokenizer

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync/atomic"
	"testing"

	"kordon/tokenizer/keys/vaulttest"
	"kordon/types/code"
	"kordon/types/pii"
)

// The benchmarks below report ops/s (values or codes per second) so that
// scripts/bench.sh can print them next to Vault Transit's figures from the
// same run and the targets in DESIGN.md §6. Durability is real: every
// operation and its audit entry are committed and the WAL fdatasync-ed
// before the call returns.

const benchBatch = 100

func benchEnv(b *testing.B) *env {
	dir := b.TempDir()
	return openEnv(b, dir, localProvider(b, dir))
}

// phoneN returns a distinct valid Russian mobile number for n.
func phoneN(n int64) pii.Value {
	return pii.New(fmt.Sprintf("+7 9%02d %03d %02d %02d", 10+n/10_000_000%90, n/10_000%1000, n/100%100, n%100))
}

func reportOps(b *testing.B, n int64) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkTokenizeExisting: values seen before, in calls of 100 values
// from parallel callers (a CSV import or a CRM sync), one audit entry per
// call.
func BenchmarkTokenizeExisting(b *testing.B) {
	e := benchEnv(b)
	const distinct = 20_000
	vals := make([]pii.Value, distinct)
	for i := range vals {
		vals[i] = phoneN(int64(i))
	}
	for i := 0; i < distinct; i += 1000 {
		if _, err := e.tk.Tokenize(context.Background(), admin, code.Phone, vals[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ResetTimer()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(benchBatch)) % (distinct - benchBatch)
			out, err := e.tk.Tokenize(context.Background(), admin, code.Phone, vals[i:i+benchBatch])
			if err != nil || out[0].Created {
				b.Fatal(err)
			}
		}
	})
	reportOps(b, int64(b.N)*benchBatch)
}

// BenchmarkTokenizeNew: values never seen, one per call from 256 parallel
// callers (the dialer, webhooks), each durable and audited before the call
// returns; group commit puts many calls in one transaction.
func BenchmarkTokenizeNew(b *testing.B) {
	benchTokenizeNew(b, 1)
}

// BenchmarkTokenizeNewBatch: new values in calls of 100 from 16 parallel
// callers (CSV and CRM imports).
func BenchmarkTokenizeNewBatch(b *testing.B) {
	benchTokenizeNew(b, benchBatch)
}

func benchTokenizeNew(b *testing.B, batch int) {
	e := benchEnv(b)
	var next atomic.Int64
	b.ResetTimer()
	if batch == 1 {
		b.SetParallelism(128)
	} else {
		b.SetParallelism(8)
	}
	b.RunParallel(func(pb *testing.PB) {
		vals := make([]pii.Value, batch)
		for pb.Next() {
			for i := range vals {
				vals[i] = phoneN(next.Add(1))
			}
			out, err := e.tk.Tokenize(context.Background(), admin, code.Phone, vals)
			if err != nil || out[0].Err != nil || !out[0].Created {
				b.Fatalf("%v %v", err, out[0].Err)
			}
		}
	})
	reportOps(b, int64(b.N)*int64(batch))
}

// BenchmarkResolve: one code per call from 64 parallel callers (a CRM
// opening cards), each audited before the value is returned.
func BenchmarkResolve(b *testing.B) {
	benchResolve(b, 1)
}

// BenchmarkResolveBatch: 100 codes per call.
func BenchmarkResolveBatch(b *testing.B) {
	benchResolve(b, benchBatch)
}

func benchResolve(b *testing.B, batch int) {
	e := benchEnv(b)
	const distinct = 10_000
	vals := make([]pii.Value, distinct)
	for i := range vals {
		vals[i] = phoneN(int64(i))
	}
	var codes []code.Code
	for i := 0; i < distinct; i += 1000 {
		out, err := e.tk.Tokenize(context.Background(), admin, code.Phone, vals[i:i+1000])
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			codes = append(codes, o.Code)
		}
	}
	var next atomic.Int64
	b.ResetTimer()
	if batch == 1 {
		b.SetParallelism(32)
	} else {
		b.SetParallelism(4)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(int64(batch))) % (distinct - batch)
			out, err := e.tk.Resolve(context.Background(), admin, PurposeCRM, "BENCH-1", codes[i:i+batch])
			if err != nil || out[0].Err != nil {
				b.Fatal(err)
			}
		}
	})
	reportOps(b, int64(b.N)*int64(batch))
}

// BenchmarkVaultTransitEncrypt and BenchmarkVaultTransitDecrypt measure the
// reference: a real Vault dev server's Transit engine on this machine, 8
// parallel clients, one value per request.
func BenchmarkVaultTransitEncrypt(b *testing.B) { benchTransit(b, "encrypt") }

// BenchmarkVaultTransitDecrypt is the reference for resolve.
func BenchmarkVaultTransitDecrypt(b *testing.B) { benchTransit(b, "decrypt") }

func benchTransit(b *testing.B, op string) {
	srv := vaulttest.Start(b)
	key := srv.Key(b)
	c := srv.Client(b)
	pt := base64.StdEncoding.EncodeToString([]byte("+79123456789"))
	s, err := c.Logical().Write("transit/encrypt/"+key, map[string]any{"plaintext": pt})
	if err != nil {
		b.Fatal(err)
	}
	ct := s.Data["ciphertext"].(string)
	b.ResetTimer()
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 clients
	b.RunParallel(func(pb *testing.PB) {
		c := srv.Client(b)
		for pb.Next() {
			var err error
			if op == "encrypt" {
				_, err = c.Logical().Write("transit/encrypt/"+key, map[string]any{"plaintext": pt})
			} else {
				_, err = c.Logical().Write("transit/decrypt/"+key, map[string]any{"ciphertext": ct})
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	reportOps(b, int64(b.N))
}
