package digits

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

func TestEmbedded(t *testing.T) {
	sum := sha256.Sum256(embedded)
	if got, want := hex.EncodeToString(sum[:]), "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"; got != want {
		t.Fatalf("embedded digits.csv.gz sha256 %s, want %s (data/README.md)", got, want)
	}
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1797 || len(s.Pixels) != 1797*Pixels {
		t.Fatalf("%d images, %d pixels; want 1797 images", s.Len(), len(s.Pixels))
	}
	var count [Classes]int
	for _, y := range s.Labels {
		count[y]++
	}
	for c, n := range count {
		if n < 170 || n > 190 {
			t.Errorf("class %d has %d images; the UCI test set has 174-183 per class", c, n)
		}
	}
}

func TestBadInput(t *testing.T) {
	row := strings.Repeat("0,", Pixels)
	for name, text := range map[string]string{
		"fields": "1,2,3\n",
		"pixel":  strings.Repeat("0,", Pixels-1) + "17,3\n",
		"label":  row + "10\n",
		"empty":  "\n\n",
	} {
		if _, err := Read(strings.NewReader(text), "x.csv"); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		} else if name != "empty" && !strings.Contains(err.Error(), "x.csv:1") {
			t.Errorf("%s: %v does not name the file and line", name, err)
		}
	}
	if _, err := Load("/nonexistent/digits.csv"); !errors.Is(err, ErrFormat) {
		t.Errorf("missing file: %v", err)
	}
}
