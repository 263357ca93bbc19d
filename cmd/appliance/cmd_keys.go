package main

import (
	"context"
	"fmt"
)

func cmdKeys(ctx context.Context, g *globals, args []string) error {
	verb, args, err := subcommand(args, "status", "rotate")
	if err != nil {
		return err
	}
	fs := flags(g, "keys "+verb)
	wait := fs.Bool("wait", false, "rotate: re-encrypt every row before returning (a running serve does it in the background otherwise)")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("keys %s takes no arguments", verb)
	}
	a, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	if verb == "rotate" {
		rot, err := a.tk.RotateKeys(ctx, cliPrincipal())
		if err != nil {
			return err
		}
		fmt.Fprintf(g.io.out, "rotated: key-encryption key v%d, vault key v%d, index key v%d\n", rot.KEKVersion, rot.VaultVersion, rot.IndexVersion)
		for *wait {
			_, done, err := a.tk.RewrapStep(ctx)
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	st, err := a.tk.KeyStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.io.out, "provider:        %s (%s)\n", st.Provider.Provider, st.Provider.Location)
	fmt.Fprintf(g.io.out, "kek version:     %d (%d usable)\n", st.Provider.Version, st.Provider.Versions)
	fmt.Fprintf(g.io.out, "vault key:       v%d\n", st.VaultVersion)
	fmt.Fprintf(g.io.out, "index key:       v%d\n", st.IndexVersion)
	fmt.Fprintf(g.io.out, "tokens:          %d live, %d erased\n", st.Tokens, st.Erased)
	fmt.Fprintf(g.io.out, "pending rewrap:  %d\n", st.Pending)
	fmt.Fprintf(g.io.out, "audit verifier:  %s\n", a.ring.VerifierKey())
	return nil
}
