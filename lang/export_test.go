package lang

// MaxCheckFoldFuel is the fuel a check may hand to the Universe's Fold.
const MaxCheckFoldFuel = maxCheckFoldFuel
