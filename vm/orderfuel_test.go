package vm

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestOrderKeysFuel: what writing a map charges for ordering its keys
// (OrderKeysFuel) covers the bytes that ascending's comparisons compare,
// for keys of 70 bytes sharing all but their last 6 (each comparison 1
// fuel, each key 1 once), in descending order, in order but for the last,
// and in random orders. Before, the keys were charged log2(n) times: 12
// keys of 4 KiB so in descending order took 67 comparisons of 63 fuel,
// 4221, for 3078 charged; 52 keys of 70 bytes in a random order took 467
// comparisons for 351 charged (455 at log2(n)+2 times).
func TestOrderKeysFuel(t *testing.T) {
	prefix := strings.Repeat("p", 64)
	rng := rand.New(rand.NewSource(1))
	for n := 2; n <= 128; n++ {
		orders := [][]int{make([]int, n), make([]int, n)}
		for i := range n {
			orders[0][i] = n - 1 - i // descending
			orders[1][i] = i + 1     // the last first
		}
		orders[1][n-1] = 0
		for range 300 {
			orders = append(orders, rng.Perm(n))
		}
		for _, order := range orders {
			keys := make([]Value, n)
			var keyFuel int64
			for i, x := range order {
				keys[i] = Str(prefix + fmt.Sprintf("%06d", x))
				keyFuel += KeyFuel(keys[i])
			}
			mv, err := NewMap(keys, make([]Value, n))
			if err != nil {
				t.Fatal(err)
			}
			var compares, fuel int64
			ascendingFunc((*mapObj)(mv.p), func(a, b Value) int {
				compares++
				fuel += strFuel(64)
				return Compare(a, b)
			})
			if got := OrderKeysFuel(n, keyFuel); got < fuel {
				t.Fatalf("%d keys in order %v: %d comparisons of %d fuel in all, charged %d", n, order, compares, fuel, got)
			}
		}
	}
}
