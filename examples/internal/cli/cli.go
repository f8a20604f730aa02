// Package cli holds what the example programs share on their command line: the -h text
// and progress bars that appear only on a terminal.
package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Usage makes -h print summary (what the program does and what it writes, one paragraph
// a string) and then the flags with their defaults.
func Usage(summary ...string) {
	flag.Usage = func() { usage(flag.CommandLine, summary) }
}

// UsageOf is Usage for a flag set of the program's own.
func UsageOf(fs *flag.FlagSet, summary ...string) {
	fs.Usage = func() { usage(fs, summary) }
}

func usage(fs *flag.FlagSet, summary []string) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage of %s:\n\n", filepath.Base(fs.Name()))
	for _, p := range summary {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(p))
	}
	fmt.Fprintln(w, "Flags:")
	fs.PrintDefaults()
}

// Terminal reports whether stderr is a terminal: the examples draw progress bars there
// only then, and print plain log lines otherwise (to a file, a pipe, CI).
func Terminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// Bar returns a progress bar of n steps on stderr described by desc, or nil when stderr
// is not a terminal or n < 1.
func Bar(n int, desc string) *progressbar.ProgressBar {
	if n < 1 || !Terminal() {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish())
}
