package rpl_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/vm"
)

// TestAdversarial runs each policy of testdata/adversarial, which declares
// the error code that must stop it (# WANT code) and optional limits
// (# LIMITS fuel=N memory=N depth=N). After each, a normal policy must
// still decide: the process is unharmed.
func TestAdversarial(t *testing.T) {
	e := env(t)
	files, _ := filepath.Glob("testdata/adversarial/*.rpl")
	if len(files) < 6 {
		t.Fatalf("adversarial corpus too small: %d files", len(files))
	}
	healthy, err := e.CompileSource("ok.rpl", []byte("package ok\nfn route(r: Request) -> Decision = to(\"fine\")\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".rpl"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, lim, deadline := header(t, src)
			p, err := e.Compile(file)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := p.RequestFromJSON([]byte(`{}`))
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			_, err = p.DecideWithLimits(ctx, req, rpl.Input{}, lim)
			var ve *vm.Error
			if !errors.As(err, &ve) {
				t.Fatalf("want %s, got %v", want, err)
			}
			if string(ve.Code) != want {
				t.Fatalf("want %s, got %s: %v", want, ve.Code, err)
			}
			if !strings.Contains(ve.Error(), filepath.Base(file)) {
				t.Errorf("error does not point at the policy: %v", err)
			}
			res, err := healthy.Decide(context.Background(), req, rpl.Input{})
			if err != nil || rpl.ToGo(healthy.DecisionType(), res.Value).(map[string]any)["target"] != "fine" {
				t.Fatalf("healthy policy after %s: %v", want, err)
			}
		})
	}
}

func header(t *testing.T, src []byte) (string, rpl.Limits, time.Duration) {
	var want string
	var lim rpl.Limits
	deadline := 30 * time.Second
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# WANT "); ok {
			want = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "# DEADLINE "); ok {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("bad DEADLINE %q", v)
			}
			deadline = d
		}
		if v, ok := strings.CutPrefix(line, "# LIMITS "); ok {
			for _, kv := range strings.Fields(v) {
				k, val, _ := strings.Cut(kv, "=")
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil {
					t.Fatalf("bad LIMITS %q", kv)
				}
				switch k {
				case "fuel":
					lim.Fuel = n
				case "memory":
					lim.Memory = n
				case "depth":
					lim.MaxDepth = int(n)
				}
			}
		}
	}
	if want == "" {
		t.Fatal("no # WANT line")
	}
	return want, lim, deadline
}
