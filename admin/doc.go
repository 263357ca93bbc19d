// Package admin is Kordon's admin listener: the HTTPS server that carries
// the JSON API for CRMs and auditors, the health and readiness probes and
// the Prometheus metrics (and, later, the console pages and inbound
// webhooks).
//
// # Routes
//
//	POST /api/v1/tokenize             scope tokenize  {"kind","values"} → {"results":[{"code","created"}|{"error"}]}
//	POST /api/v1/resolve              scope resolve   {"purpose","reference","codes"} → {"results":[{"code","kind","value"}|{"code","kind","error"}]}
//	POST /api/v1/erase                scope erase     {"reason","reference","codes"} → {"results":[{"code","erased"}|{"code","erased":false,"error"}]}
//	GET  /api/v1/audit                scope audit     ?code&actor&action&value_hash&from&to&after&limit → {"entries","next_after"}
//	POST /api/v1/audit/search         scope audit     {"kind","value",…filters} → same as GET /api/v1/audit
//	GET  /api/v1/audit/checkpoint     scope audit     the newest signed checkpoint note, text/plain
//	GET  /api/v1/audit/proof/:seq     scope audit     ?size → {"seq","tree_size","hashes","checkpoint"}
//	GET  /healthz, /readyz, /metrics  no credentials
//
// API requests carry "Authorization: Bearer kdn_…" (see admin/apikey).
// Every error is an RFC 9457 application/problem+json document; problemOf
// is the one function that maps an error's fault.Kind to its status.
// Per-item failures of a batch (an invalid value, an erased code) are
// reported in the item, with the status the same mapping gives, and the
// response is 200.
//
// # Privacy
//
// Request and response bodies are never logged. The access log records
// method, route pattern, status, duration, key id and request id; metric
// labels come from fixed sets. Error messages name fields, indexes and
// codes, never the input: a client that sends a phone number where a code
// belongs gets "codes[3] is not a valid code". Raw values arrive decoded
// into pii.Value and leave only through resolve, after the tokenizer has
// audited the resolve. Values to search the audit log for are posted and
// hashed server-side, never put in a URL.
//
// # Lifecycle
//
// New validates its Config, registers metrics and builds the routes; it
// opens nothing and starts no goroutine. Run binds the listener, serves
// HTTPS until its context ends, shuts down gracefully and returns once
// every handler has returned. Handler serves the same routes without TLS
// for tests.
package admin
