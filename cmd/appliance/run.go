package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"kordon/config"
	"kordon/types/fault"
)

// version is set at link time (-ldflags "-X main.version=…"); otherwise
// the module version from the build information.
var version = ""

func init() {
	if version == "" {
		version = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
	}
}

const defaultTimeout = 30 * time.Second

// errUsage marks a command-line mistake; it exits with status 2.
var errUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// command is one subcommand. run receives the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, g *globals, args []string) error
}

var commands = map[string]command{
	"serve":   {"run the appliance (zero configuration: embedded defaults)", cmdServe},
	"token":   {"tokenize | resolve | erase values and codes", cmdToken},
	"keys":    {"status | rotate the key-encryption and data keys", cmdKeys},
	"audit":   {"verify | prove | export | search the audit log", cmdAudit},
	"apikey":  {"create | list | revoke API keys", cmdAPIKey},
	"trunk":   {"add | list | show | set | delete SIP trunks to the PBXs", cmdTrunk},
	"version": {"print the version", cmdVersion},
}

// globals are the flags every command accepts before its name.
type globals struct {
	io         stdio
	configPath string
	cfg        config.Config
	logger     *slog.Logger
}

func run(ctx context.Context, args []string, io stdio) error {
	g := &globals{io: io}
	fs := flag.NewFlagSet("kordon", flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.StringVar(&g.configPath, "config", os.Getenv("KORDON_CONFIG"), "boot file (default: $KORDON_CONFIG, else the embedded defaults)")
	fs.Usage = func() { printUsage(io.err, fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		printUsage(io.err, fs)
		return usagef("no command")
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	cmd, ok := commands[name]
	if !ok {
		return usagef("unknown command %q (see kordon -h)", name)
	}
	if name != "version" {
		cfg, err := config.Load(g.configPath)
		if err != nil {
			return err
		}
		g.cfg = cfg
	}
	g.logger = newLogger(io.err, g.cfg.Log)
	return cmd.run(ctx, g, rest)
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: kordon [--config FILE] COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
}

// newLogger builds the operational logger. Audit entries are not log lines.
func newLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// subcommand splits "verb args..." for the commands with verbs.
func subcommand(args []string, verbs ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("want one of: %s", strings.Join(verbs, ", "))
	}
	for _, v := range verbs {
		if args[0] == v {
			return v, args[1:], nil
		}
	}
	return "", nil, usagef("unknown verb %q (want one of: %s)", args[0], strings.Join(verbs, ", "))
}

// flags returns a FlagSet for a subcommand that reports errors on w.
func flags(g *globals, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kordon "+name, flag.ContinueOnError)
	fs.SetOutput(g.io.err)
	return fs
}

// parse parses flags allowing them after positional arguments too.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdVersion(_ context.Context, g *globals, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	_, err := fmt.Fprintln(g.io.out, "kordon", version)
	return err
}

// open opens the data directory for an administrative command.
func (g *globals) open(ctx context.Context) (*app, error) {
	return openApp(ctx, g.cfg, g.logger, false)
}

// kindMessage renders an error kind for per-item lines.
func kindMessage(err error) string {
	return fault.KindOf(err).String() + ": " + err.Error()
}
