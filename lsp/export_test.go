package lsp

// SetHandlerHook sets the hook run before each message's handler (nil:
// none).
func SetHandlerHook(f func(method string)) { handlerHook = f }
