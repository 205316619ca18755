package runtime

// LiveState is the engine's live state (Config.State), what feedback is
// recorded into and policies read: nil when none. The router's admin
// endpoints read provider health and tenant spend from it (GET
// /v2/targets, GET /v2/spend).
func (e *Engine) LiveState() any { return e.cfg.State }
