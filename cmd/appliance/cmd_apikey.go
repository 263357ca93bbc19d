package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"kordon/tokenizer"
)

func cmdAPIKey(ctx context.Context, g *globals, args []string) error {
	verb, args, err := subcommand(args, "create", "list", "revoke")
	if err != nil {
		return err
	}
	fs := flags(g, "apikey "+verb)
	name := fs.String("name", "", "create: what the key is for, e.g. \"bitrix24 prod\"")
	scopes := fs.String("scopes", "", "create: comma-separated: tokenize, resolve, erase, audit")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var want []tokenizer.Scope
	switch verb {
	case "create":
		if *name == "" || *scopes == "" || len(pos) > 0 {
			return usagef("apikey create --name NAME --scopes tokenize,resolve,...")
		}
		for _, s := range strings.Split(*scopes, ",") {
			sc, err := tokenizer.ParseScope(strings.TrimSpace(s))
			if err != nil {
				return usagef("--scopes: %v", err)
			}
			want = append(want, sc)
		}
	case "list":
		if len(pos) > 0 {
			return usagef("apikey list takes no arguments")
		}
	case "revoke":
		if len(pos) != 1 {
			return usagef("apikey revoke ID")
		}
	}
	a, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	by := cliPrincipal().Actor
	switch verb {
	case "create":
		k, secret, err := a.apikeys.Create(ctx, by, *name, want)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.io.err, "kordon: created API key %s; the token below is shown once, store it now\n", k.ID)
		fmt.Fprintln(g.io.out, secret)
	case "list":
		keys, err := a.apikeys.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(g.io.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSCOPES\tCREATED\tSTATE")
		for _, k := range keys {
			state := "active"
			if !k.RevokedAt.IsZero() {
				state = "revoked " + k.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, joinScopes(k.Scopes), k.CreatedAt.UTC().Format(time.RFC3339), state)
		}
		return w.Flush()
	case "revoke":
		if err := a.apikeys.Revoke(ctx, by, pos[0]); err != nil {
			return err
		}
		fmt.Fprintln(g.io.out, "revoked", pos[0])
	}
	return nil
}

func joinScopes(ss []tokenizer.Scope) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ",")
}
