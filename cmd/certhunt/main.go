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
  certhunt scan -log URL [-type rfc6962|static] [-from N] [-to M]
                                             read a range of one CT log through the pipeline
  certhunt homographs generate [-o FILE] [-fuzzers LIST] [-format json|csv|list] DOMAIN...
  certhunt homographs validate FILE          check a homograph list
  certhunt config check -config FILE         validate a config file
  certhunt config default                    print the default configuration
  certhunt version                           print the version

Every command accepts -config FILE; every config key is also a flag and a CERTHUNT_* variable
(run "certhunt serve -h" for the list).
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
	case "homographs":
		return runHomographs(rest, stdin, stdout, stderr)
	case "config":
		return runConfig(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "certhunt", versionString())
		return 0
	case "help", "-h", "-help", "--help":
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
// configuration. It reports 0 to go on, or an exit status.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (*config.Config, int) {
	fs.SetOutput(stderr)
	cf := config.Register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	cfg, err := cf.Load()
	if err != nil {
		fmt.Fprintf(stderr, "certhunt %s: config: %v\n", fs.Name(), err)
		return nil, 2
	}
	return cfg, -1
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, code := parseFlags(fs, args, stderr)
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
		fmt.Fprint(stderr, "usage: certhunt config check -config FILE | certhunt config default\n")
		return 2
	}
	switch args[0] {
	case "default":
		stdout.Write(config.DefaultYAML())
		return 0
	case "check":
		fs := flag.NewFlagSet("config check", flag.ContinueOnError)
		cfg, code := parseFlags(fs, args[1:], stderr)
		if cfg == nil {
			if code == 2 {
				return 1
			}
			return code
		}
		fmt.Fprintln(stdout, "config ok")
		return 0
	}
	fmt.Fprintf(stderr, "certhunt config: unknown subcommand %q (check or default)\n", args[0])
	return 2
}
