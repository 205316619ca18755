package migrate

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

var update = flag.Bool("update", false, "rewrite testdata/cp1/*.rpl and invalid/*.err")

const cp1Dir = "../../testdata/cp1"

// TestGolden migrates every sample CP1 policy and compares with the
// expected RPL beside it (NAME.rpl); -update rewrites them.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(cp1Dir, "*.json"))
	if len(files) < 8 {
		t.Fatalf("%d sample policies, want at least 8", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Convert(data, Options{Source: filepath.Base(f)})
			if err != nil {
				t.Fatal(err)
			}
			// Canonical layout: formatting again changes nothing.
			again, err := lang.FormatSource(name+".rpl", got)
			if err != nil || string(again) != string(got) {
				t.Errorf("not in canonical layout (%v)", err)
			}
			golden := filepath.Join(cp1Dir, name+".rpl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("migrated source differs from %s (run with -update):\n%s", golden, got)
			}
		})
	}
}

// TestInvalid checks that each invalid sample gives exactly the errors in
// its .err file, one a line, each naming the JSON path.
func TestInvalid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(cp1Dir, "invalid", "*.json"))
	if len(files) == 0 {
		t.Fatal("no invalid samples")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(f)
			_, err := Convert(data, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			ef := strings.TrimSuffix(f, ".json") + ".err"
			if *update {
				os.WriteFile(ef, []byte(err.Error()+"\n"), 0o644)
				return
			}
			want, _ := os.ReadFile(ef)
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{
		"simple-split": "simple_split", "Chat Policy v2": "chat_policy_v2", "2024-q1": "p_2024_q1",
		"": "policy", "---": "policy", "match": "match_policy", "a__b": "a__b", "tenant/acme": "tenant_acme",
	} {
		if got := PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}
