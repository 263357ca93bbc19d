package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"kordon/media/trunk"
	"kordon/types/fault"
)

// cmdTrunk manages the SIP trunks in the database. Documents are the
// API's JSON; passwords come from the document or from password files,
// never from a command-line value (which would land in the shell history
// and in ps). Every input is read and decoded before the database is
// opened, so a bad input changes nothing.
func cmdTrunk(ctx context.Context, g *globals, args []string) error {
	verb, args, err := subcommand(args, "add", "list", "show", "set", "delete")
	if err != nil {
		return err
	}
	fs := flags(g, "trunk "+verb)
	file := fs.String("file", "", "add, set: the trunk's JSON document, or - for standard input")
	inFile := fs.String("inbound-password-file", "", "add, set: file holding the password the PBX authenticates with (inbound_auth)")
	outFile := fs.String("outbound-password-file", "", "add, set: file holding the password Kordon authenticates with (outbound_auth)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var doc trunk.Trunk
	switch verb {
	case "add", "set":
		want, usage := 0, "trunk add"
		if verb == "set" {
			want, usage = 1, "trunk set ID"
		}
		if *file == "" || len(pos) != want {
			return usagef("%s --file FILE|- [--inbound-password-file FILE] [--outbound-password-file FILE]", usage)
		}
		if doc, err = readTrunk(g.io.in, *file, *inFile, *outFile); err != nil {
			return err
		}
		if verb == "set" {
			switch {
			case doc.ID == "":
				doc.ID = pos[0]
			case doc.ID != pos[0]:
				return usagef("the document's id differs from ID; a trunk cannot be renamed (add the new one, then delete the old)")
			}
		}
	case "list":
		if len(pos) > 0 || *file != "" || *inFile != "" || *outFile != "" {
			return usagef("trunk list takes no arguments")
		}
	case "show", "delete":
		if len(pos) != 1 || *file != "" || *inFile != "" || *outFile != "" {
			return usagef("trunk %s ID", verb)
		}
	}
	a, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	p := cliPrincipal()
	switch verb {
	case "add":
		if _, err := a.trunks.Create(ctx, p, doc); err != nil {
			return err
		}
		fmt.Fprintln(g.io.out, "created trunk", doc.ID)
	case "set":
		if _, err := a.trunks.Update(ctx, p, doc); err != nil {
			return err
		}
		fmt.Fprintln(g.io.out, "updated trunk", doc.ID)
	case "delete":
		if err := a.trunks.Delete(ctx, p, pos[0]); err != nil {
			return err
		}
		fmt.Fprintln(g.io.out, "deleted trunk", pos[0])
	case "show":
		t, err := a.trunks.Get(ctx, p, pos[0])
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(g.io.out, string(b))
	case "list":
		ts, err := a.trunks.List(ctx, p)
		if err != nil {
			return err
		}
		return printTrunks(g.io.out, ts)
	}
	return nil
}

// printTrunks writes the trunk table. It shows the number of routes, not
// their numbers.
func printTrunks(out io.Writer, ts []trunk.Trunk) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tADDRESS\tTRANSPORT\tSRTP\tAUTH\tROUTES\tDESCRIPTION")
	for _, t := range ts {
		d := t.WithDefaults()
		var auth []string
		if t.Inbound != nil {
			auth = append(auth, "inbound")
		}
		if t.Outbound != nil {
			auth = append(auth, "outbound")
		}
		if t.TLS.RequireClientCert {
			auth = append(auth, "mtls")
		}
		if len(auth) == 0 {
			auth = []string{"-"}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.ID, d.Address(), d.Transport, d.SRTP, strings.Join(auth, ","), len(t.Routes), t.Description)
	}
	return w.Flush()
}

// readTrunk reads and decodes a trunk document from path ("-" for in) and
// sets the passwords read from the password files.
func readTrunk(in io.Reader, path, inFile, outFile string) (trunk.Trunk, error) {
	const op = "trunk document"
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(in, trunk.MaxDocument+1))
	} else {
		b, err = readLimited(path, trunk.MaxDocument+1)
	}
	if err != nil {
		return trunk.Trunk{}, fault.E(op, fault.Invalid, err)
	}
	t, err := trunk.Decode(b)
	if err != nil {
		return trunk.Trunk{}, err
	}
	for _, pf := range []struct {
		file, flag, field string
		c                 *trunk.Credentials
	}{
		{inFile, "--inbound-password-file", "inbound_auth", t.Inbound},
		{outFile, "--outbound-password-file", "outbound_auth", t.Outbound},
	} {
		if pf.file == "" {
			continue
		}
		switch {
		case pf.c == nil:
			return trunk.Trunk{}, usagef("%s needs %s with a username in the document", pf.flag, pf.field)
		case !pf.c.Password.IsZero():
			return trunk.Trunk{}, usagef("%s.password is in the document and in %s; give it once", pf.field, pf.flag)
		}
		pw, err := readPassword(pf.file)
		if err != nil {
			return trunk.Trunk{}, fault.E(op, fault.Invalid, fmt.Errorf("%s: %w", pf.flag, err))
		}
		pf.c.Password = trunk.NewSecret(pw)
	}
	return t, nil
}

// readPassword reads a password file: its content without one final line
// break. Errors name the file, never its content.
func readPassword(path string) (string, error) {
	b, err := readLimited(path, 1024)
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	clear(b)
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// readLimited reads at most limit bytes of a file and refuses a larger
// one.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) >= limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit-1)
	}
	return b, nil
}
