package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// memoryReport is what the memory child prints, in MB of 10^6 bytes
// (the target's unit: /proc's "kB" are KiB).
type memoryReport struct {
	Tenants     int     `json:"tenants"`
	Policies    int     `json:"policies"`
	LoadSeconds float64 `json:"load_seconds"`
	RSSMB       float64 `json:"rss_mb"`        // VmRSS after loading and a GC
	PeakMB      float64 `json:"peak_rss_mb"`   // VmHWM: the peak, while compiling
	BaseMB      float64 `json:"base_rss_mb"`   // VmRSS before loading
	HeapMB      float64 `json:"heap_inuse_mb"` // Go heap in use after loading
}

// TenantPolicies writes n small tenant policies (one package per tenant,
// each with its own constants, so that no two compile to the same
// program), a default policy and a tenants.json registering every tenant
// under one of 100 organisations, into dir.
func TenantPolicies(dir string, n int) error {
	tenants := make([]map[string]any, 0, n)
	for i := range n {
		id := fmt.Sprintf("t%05d", i)
		src := fmt.Sprintf(`# Tenant %[1]s.
package %[1]s

const primary = "openai:gpt-4o-mini"
const strong = "anthropic:claude-sonnet"
const code_limit = %[2]d

fn route(r: Request) -> Decision {
  if r.task.type == "code" && r.estimate.input_tokens > code_limit {
    return to(strong).fallback(primary, on: [timeout]).tag("tenant", "%[1]s").because("long code prompt")
  }
  to(primary).tag("tenant", "%[1]s").because("tenant default")
}
`, id, 1000+i)
		if err := os.WriteFile(filepath.Join(dir, id+".rpl"), []byte(src), 0o644); err != nil {
			return err
		}
		tenants = append(tenants, map[string]any{"id": id, "tier": []string{"free", "gold", "platinum"}[i%3],
			"parents": []string{fmt.Sprintf("org-%02d", i%100)}, "policy": id, "budget": map[string]string{"monthly": "$100"}})
	}
	def := "package default\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o-mini\").because(\"default\")\n"
	if err := os.WriteFile(filepath.Join(dir, "default.rpl"), []byte(def), 0o644); err != nil {
		return err
	}
	data, err := json.Marshal(map[string]any{"tenants": tenants})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, rt.TenantsFile), data, 0o644)
}

// procStatusMB reads a field (VmRSS, VmHWM) of /proc/self/status in MB.
func procStatusMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	return statusMB(string(data), field)
}

// statusMB reads a field of a /proc status file in MB (10^6 bytes): the
// file's "kB" are KiB (1024 bytes); -1 when it has no such field.
func statusMB(data, field string) float64 {
	for _, line := range strings.Split(data, "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				if kib, err := strconv.ParseFloat(f[0], 64); err == nil {
					return kib * 1024 / 1e6
				}
			}
		}
	}
	return -1
}

// memoryChild loads n tenant policies into an engine and prints a
// memoryReport: the process is fresh, so its RSS is the engine's.
func memoryChild(w io.Writer, n int) error {
	dir, err := os.MkdirTemp("", "rpl-tenants-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := TenantPolicies(dir, n); err != nil {
		return err
	}
	e, err := rt.New(rt.Config{State: state.NewMem(state.Options{})})
	if err != nil {
		return err
	}
	runtime.GC()
	rep := memoryReport{Tenants: n, BaseMB: procStatusMB("VmRSS")}
	start := time.Now()
	s, err := e.LoadDir(context.Background(), dir)
	if err != nil {
		return err
	}
	rep.LoadSeconds = time.Since(start).Seconds()
	rep.Policies = len(s.PolicyIDs())
	// Every tenant decides with its own policy.
	for _, id := range []string{"t00000", fmt.Sprintf("t%05d", n-1)} {
		body := fmt.Sprintf(`{"request":{"id":"r1","tenant":{"id":%q},"task":{"type":"chat"}}}`, id)
		out, code, _ := e.HandleV2(context.Background(), []byte(body), time.Now(), nil, nil)
		if code != "" || !bytes.Contains(out, []byte(`"policy_id":"`+id+`"`)) {
			return fmt.Errorf("tenant %s: %s", id, out)
		}
	}
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.RSSMB, rep.PeakMB, rep.HeapMB = procStatusMB("VmRSS"), procStatusMB("VmHWM"), float64(ms.HeapInuse)/1e6
	runtime.KeepAlive(e)
	return json.NewEncoder(w).Encode(rep)
}

func runMemoryChild(ctx context.Context, n, heapFloorMB int) (*memoryReport, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, exe, "bench", "--memory-child", strconv.Itoa(n), "--heap-floor", strconv.Itoa(heapFloorMB))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var m memoryReport
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
