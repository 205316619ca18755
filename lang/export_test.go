package lang

// MaxCheckFoldWork is the work a check may hand to the Universe's Fold.
const MaxCheckFoldWork = maxCheckFoldWork
