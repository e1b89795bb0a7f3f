// Command certhunt watches Certificate Transparency for lookalikes of protected domains.
// See README.md and SPEC.md; `certhunt help` lists the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/buildinfo"
	"github.com/certhunt/certhunt/internal/config"
)

// version is set with -ldflags "-X main.version=..."; otherwise the module version is used.
var version = ""

const usage = `certhunt watches Certificate Transparency for lookalikes of the domains you protect.

Usage:
  certhunt serve [-config FILE] [flags]      follow CT logs and certstream, open incidents, serve API and UI
  certhunt check [-config FILE] [-watchlist FILE] [-json] [DOMAIN...]
                                             score domains (arguments, or one per line on stdin)
  certhunt scan -log URL [-type rfc6962|static] [-from N | -since 24h] [-to M]
                                             read a range of one CT log through the pipeline
  certhunt hunt -since 30d | -log URL [-type rfc6962|static] [-from N] [-to M] | -watch ID
                                             share a hunt over log ranges out to a cluster's detect nodes
  certhunt homographs generate [-o FILE] [-fuzzers LIST] [-format json|csv|list] DOMAIN...
  certhunt homographs validate FILE          check a homograph list
  certhunt config check FILE                 validate a config file as serve would
  certhunt config default                    print the default configuration
  certhunt version                           print the version

Every command accepts -config FILE; every config key is also a flag and a CERTHUNT_* variable.
"certhunt help TOPIC" explains a command (serve, check, scan, hunt, homographs, config, version).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status: 0 ok, 1 failure, 2 bad usage.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	versionString()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, stderr)
	case "check":
		return runCheck(ctx, rest, stdin, stdout, stderr)
	case "scan":
		return runScan(ctx, rest, stdout, stderr)
	case "hunt":
		return runHunt(ctx, rest, stdout, stderr)
	case "homographs":
		return runHomographs(rest, stdin, stdout, stderr)
	case "config":
		return runConfig(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "certhunt", versionString())
		return 0
	case "help":
		return runHelp(rest, stdin, stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "certhunt: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func versionString() string {
	if version != "" {
		buildinfo.Version = version // the User-Agent says the same
	}
	return buildinfo.String()
}

// parseFlags parses a command's flags with the config settings registered, and loads the
// configuration; argsUsage describes the arguments after the flags for -h. It returns the
// config, or nil and the exit status (0 after -h, 2 for bad usage or config).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, argsUsage string) (*config.Config, int) {
	fs.SetOutput(stderr)
	cf := config.Register(fs)
	fs.Usage = func() { commandUsage(fs, argsUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	cfg, err := cf.Load()
	if err != nil {
		fmt.Fprintf(stderr, "certhunt %s: config:\n%s\n", fs.Name(), indent(err.Error()))
		return nil, 2
	}
	return cfg, -1
}

// indent puts two spaces before every line of s.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// commandUsage prints a command's own flags with their defaults; serve's help lists every
// configuration flag too, the others point to "certhunt help config".
func commandUsage(fs *flag.FlagSet, argsUsage string) {
	w := fs.Output()
	fmt.Fprintf(w, "usage: %s\n", strings.TrimSpace(fmt.Sprintf("certhunt %s [flags] %s", fs.Name(), argsUsage)))
	if about := commandAbout[fs.Name()]; about != "" {
		fmt.Fprintf(w, "\n%s\n", about)
	}
	var own []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !config.IsFlag(f.Name) {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintf(w, "\nflags:\n")
		for _, f := range own {
			name, use := flag.UnquoteUsage(f)
			line := "  -" + f.Name
			if name != "" {
				line += " " + name
			}
			line += "\n    \t" + use
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && !strings.Contains(use, "(default") {
				line += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintln(w, line)
		}
	}
	if fs.Name() == "serve" {
		fmt.Fprintf(w, "\nconfiguration flags (a flag beats CERTHUNT_* in the environment, which beats the file):\n")
		config.PrintFlags(w)
		return
	}
	fmt.Fprintf(w, "\n  -config FILE\n    \tconfig file (YAML); env CERTHUNT_CONFIG\n\n"+
		"Every config key is also a flag (-watchlist, -data-dir, ...): \"certhunt help config\" lists them.\n")
}

// commandAbout is the first paragraph of each command's help.
var commandAbout = map[string]string{
	"serve": "Follows CT logs and certstream servers, opens incidents, serves the API, the UI, /metrics and /certstream/*.",
	"check": "Scores domains (or URLs, by their host) given as arguments, or one per line on standard input, exactly as serve\nwould with this config. Exit status: 0 ok, 1 when an input was not a domain name, 2 bad usage or config.",
	"scan":  "Reads a range of one CT log through serve's pipeline (backfill, hunt) and reports what it found.",
	"hunt": "Splits ranges of CT logs into work items on the cluster's JetStream work queue, which every detect node takes\n" +
		"from, records the hunt in PostgreSQL and prints its progress until it is done (Ctrl-C stops watching, not the\n" +
		"hunt). Needs cluster.nats_url and a PostgreSQL database. Exit status: 0 done, 1 failure or failed items, 2 bad usage.",
	"config check": "Validates a config file (given as FILE or -config FILE) as serve would. Exit status: 0 valid, 1 invalid, 2 bad usage.",
}

// runHelp prints the help of a topic (a command, or "config" for the configuration flags).
func runHelp(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch args[0] {
	case "serve", "check", "scan", "hunt":
		return run([]string{args[0], "-h"}, stdin, stdout, stdout)
	case "homographs":
		return runHomographs([]string{"help"}, stdin, stdout, stdout)
	case "config":
		fmt.Fprint(stdout, configHelp)
		config.PrintFlags(stdout)
		return 0
	case "version":
		fmt.Fprintln(stdout, "usage: certhunt version\n\nPrints the version.")
		return 0
	}
	fmt.Fprintf(stderr, "certhunt help: no help topic %q (serve, check, scan, hunt, homographs, config, version)\n", args[0])
	return 2
}

const configHelp = `usage:
  certhunt config check FILE           validate FILE (or -config FILE) as serve would
  certhunt config default              print the default configuration, commented

Configuration is YAML (unknown keys are errors); every key below is also a flag and a CERTHUNT_*
environment variable: a flag beats the environment, which beats the file.

`

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, code := parseFlags(fs, args, stderr, "")
	if cfg == nil {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "certhunt serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := newLogger(cfg, stderr)
	log.Info("certhunt starting", "version", versionString())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if err := a.Run(ctx, nil); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, configHelp)
		return 2
	}
	switch args[0] {
	case "default":
		stdout.Write(config.DefaultYAML())
		return 0
	case "check":
		fs := flag.NewFlagSet("config check", flag.ContinueOnError)
		// FILE may be given alone: "config check typo.yaml" must check typo.yaml, not the defaults.
		rest := args[1:]
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			rest = append([]string{"-config", rest[0]}, rest[1:]...)
		}
		fs.SetOutput(stderr)
		cf := config.Register(fs)
		fs.Usage = func() { commandUsage(fs, "FILE") }
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "certhunt config check: unexpected argument %q (give one FILE)\n", fs.Arg(0))
			return 2
		}
		if cf.ConfigFile == "" {
			fmt.Fprintf(stderr, "certhunt config check: no FILE given: usage: certhunt config check FILE\n")
			return 2
		}
		cfg, err := cf.Load()
		if err == nil {
			err = app.Preflight(context.Background(), cfg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: config ok\n", cf.ConfigFile)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, configHelp)
		return 0
	}
	fmt.Fprintf(stderr, "certhunt config: unknown subcommand %q (check or default)\n", args[0])
	return 2
}
