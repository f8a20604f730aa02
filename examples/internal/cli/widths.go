package cli

import (
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Widths parses a comma-separated list of positive layer widths ("64,64"); empty fields
// are skipped.
func Widths(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, errors.Errorf("bad width %q", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// JoinWidths writes widths as Widths reads them.
func JoinWidths(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
