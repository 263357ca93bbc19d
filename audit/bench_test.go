package audit

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"kordon/store"
)

// benchEntry is a tokenize entry carrying codes codes and value hashes,
// as the tokenizer writes for a batch.
func benchEntry(codes int) Entry {
	e := Entry{
		Actor: Actor{ActorAPIKey, "ak_crm"}, Remote: "10.0.0.7:50123", Action: ActionTokenize, Kind: "phone",
		Result: ResultOK, RequestID: "0f8fad5b-d9cb-469f-a165-70867728950e",
		Detail: map[string]string{"created": "1", "existing": "0", "invalid": "0"},
	}
	for i := range codes {
		e.Codes = append(e.Codes, testCode(i))
		e.ValueHashes = append(e.ValueHashes, fmt.Sprintf("%032x", i))
	}
	return e
}

// BenchmarkAppend measures Append through group commit with many
// concurrent callers (one entry per DB.Write, as the tokenizer does),
// next to the same callers inserting a bare row, and Append's own cost
// inside large transactions.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	for _, codes := range []int{1, 100} {
		b.Run(fmt.Sprintf("parallel/codes=%d", codes), func(b *testing.B) {
			db, l := newLog(b, tempPath(b), nil)
			e := benchEntry(codes)
			b.SetParallelism(32)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := db.Write(ctx, func(tx *store.Tx) error {
						_, err := l.Append(tx, e)
						return err
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(b.N*codes)/b.Elapsed().Seconds(), "values/s")
		})
	}
	b.Run("parallel/bare-row", func(b *testing.B) {
		db := openDB(b, tempPath(b))
		var n atomic.Int64
		b.SetParallelism(32)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				k := n.Add(1)
				if err := db.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec("INSERT INTO meta (key, value) VALUES (?, ?)", fmt.Sprint(k), strings.Repeat("x", 300))
					return err
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("in-tx", func(b *testing.B) {
		db, l := newLog(b, tempPath(b), nil)
		e := benchEntry(1)
		b.ReportAllocs()
		b.ResetTimer()
		for done := 0; done < b.N; {
			n := min(1000, b.N-done)
			if err := db.Write(ctx, func(tx *store.Tx) error {
				for range n {
					if _, err := l.Append(tx, e); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			done += n
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}

// BenchmarkVerify measures Verify over a log of 100,000 entries.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	db, l := newLog(b, tempPath(b), nil)
	const size = 100_000
	e := benchEntry(1)
	for done := 0; done < size; done += 1000 {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			for range 1000 {
				if _, err := l.Append(tx, e); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Verify(ctx, db.Read(), l.cfg.Verifier)
		if err != nil || !r.OK || r.Entries != size {
			b.Fatalf("Verify: %+v, %v", r, err)
		}
	}
	b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "entries/s")
}
