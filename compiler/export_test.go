package compiler

// FoldFuelOf is the fuel o's compilation charged the calls it folded,
// for tests.
func FoldFuelOf(o *Output) int64 { return o.foldFuel }

// FoldFuel is the fuel a compilation may charge the calls it folds.
const FoldFuel = foldFuel

// FoldLimit is the fuel of one folded call at most.
var FoldLimit = foldLimits.Fuel
