//go:build race

package stream

// raceEnabled: the race detector makes sync.Pool drop items at random,
// so pooled buffers (pion/srtp's) are allocated again now and then.
const raceEnabled = true
