package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"kordon/tokenizer"
	"kordon/types/code"
	"kordon/types/pii"
)

// chunk is how many stdin lines one call handles at most.
const chunk = 256

func cmdToken(ctx context.Context, g *globals, args []string) error {
	verb, args, err := subcommand(args, "tokenize", "resolve", "erase")
	if err != nil {
		return err
	}
	fs := flags(g, "token "+verb)
	kind := fs.String("kind", "phone", "tokenize: kind of value: phone, name, email or id")
	purpose := fs.String("purpose", "", "resolve: why (dial, speak, crm, transfer, support, legal)")
	reference := fs.String("reference", "", "resolve, erase: ticket, case or deal id (audited)")
	reason := fs.String("reason", "", "erase: subject-request, consent-withdrawn, retention, legal-order or error")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	// Check the flags before opening anything, so a typo costs nothing.
	var k code.Kind
	switch verb {
	case "tokenize":
		if k, err = code.ParseKind(*kind); err != nil {
			return usagef("--kind: %v", err)
		}
	case "resolve":
		if !tokenizer.Purpose(*purpose).Valid() {
			return usagef("--purpose must be one of %v", tokenizer.Purposes())
		}
		if *reference == "" {
			return usagef("--reference is required (a ticket, case or deal id)")
		}
	case "erase":
		if !tokenizer.Reason(*reason).Valid() {
			return usagef("--reason must be one of %v", tokenizer.Reasons())
		}
		if *reference == "" {
			return usagef("--reference is required (a ticket, case or deal id)")
		}
	}
	a, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	p := cliPrincipal()
	failed := 0
	n := 0 // input position, for messages
	handle := func(items []string) error {
		switch verb {
		case "tokenize":
			vals := make([]pii.Value, len(items))
			for i, s := range items {
				vals[i] = pii.New(s)
			}
			out, err := a.tk.Tokenize(ctx, p, k, vals)
			if err != nil {
				return err
			}
			for i, o := range out {
				failed += g.item(n+i+1, o.Code.String(), o.Err)
			}
		case "resolve", "erase":
			codes, bad := parseCodes(items)
			var results []result
			if len(codes) > 0 {
				if verb == "resolve" {
					out, err := a.tk.Resolve(ctx, p, tokenizer.Purpose(*purpose), *reference, codes)
					if err != nil {
						return err
					}
					for _, r := range out {
						results = append(results, result{r.Value.Reveal(), r.Err}) // the point of resolve
					}
				} else {
					out, err := a.tk.Erase(ctx, p, tokenizer.Reason(*reason), *reference, codes)
					if err != nil {
						return err
					}
					for _, o := range out {
						results = append(results, result{"erased " + o.Code.String(), o.Err})
					}
				}
			}
			for i := range items {
				if err, ok := bad[i]; ok {
					failed += g.item(n+i+1, "", err)
					continue
				}
				r := results[0]
				results = results[1:]
				failed += g.item(n+i+1, r.text, r.err)
			}
		}
		n += len(items)
		return nil
	}
	if len(pos) > 0 {
		for len(pos) > 0 {
			m := min(len(pos), chunk)
			if err := handle(pos[:m]); err != nil {
				return err
			}
			pos = pos[m:]
		}
	} else if err := eachChunk(ctx, g, handle); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d items failed", failed, n)
	}
	return nil
}

type result struct {
	text string
	err  error
}

// item prints one result line: the text on stdout, or "-" on stdout and
// the reason on stderr. It returns 1 for a failure.
func (g *globals) item(pos int, text string, err error) int {
	if err != nil {
		fmt.Fprintln(g.io.out, "-")
		fmt.Fprintf(g.io.err, "kordon: item %d: %s\n", pos, kindMessage(err))
		return 1
	}
	fmt.Fprintln(g.io.out, text)
	return 0
}

func parseCodes(items []string) ([]code.Code, map[int]error) {
	var codes []code.Code
	bad := map[int]error{}
	for i, s := range items {
		c, err := code.Parse(strings.TrimSpace(s))
		if err != nil {
			bad[i] = err
			continue
		}
		codes = append(codes, c)
	}
	return codes, bad
}

// eachChunk reads stdin line by line and hands over whatever has arrived,
// up to chunk lines at a time, so that a slow producer gets each answer as
// soon as its line is handled and a fast one gets batching.
func eachChunk(ctx context.Context, g *globals, handle func([]string) error) error {
	lines := make(chan string, chunk)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(g.io.in)
		sc.Buffer(make([]byte, 64*1024), 64*1024)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		readErr <- sc.Err()
	}()
	for {
		var batch []string
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l, ok := <-lines:
			if !ok {
				return <-readErr
			}
			batch = append(batch, l)
		}
	drain:
		for len(batch) < chunk {
			select {
			case l, ok := <-lines:
				if !ok {
					break drain
				}
				batch = append(batch, l)
			default:
				break drain
			}
		}
		// Output goes straight to the file descriptor (no buffering), so
		// every printed code is one the database has committed.
		if err := handle(batch); err != nil {
			return err
		}
	}
}
