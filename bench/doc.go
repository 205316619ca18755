// Package bench compares RPL with its peers, expr-lang/expr and
// google/cel-go, on the same inputs. It is a separate module so that the
// peers stay out of the product's go.mod; see README.md.
package bench
