package lsp

import "context"

// SetHandlerHook sets the hook run before each message's handler (nil:
// none).
func SetHandlerHook(f func(method string)) { handlerHook = f }

// SetCommandHook sets the hook run as a command's work starts, with the
// context that cancels it (nil: none).
func SetCommandHook(f func(ctx context.Context, command string)) { commandHook = f }
