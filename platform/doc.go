// Package platform is the root of Sanbao's shared infrastructure module; the code lives in its
// subpackages (store, outbox, events, timer, rpc, daemon, ...), none of which knows a service.
package platform
