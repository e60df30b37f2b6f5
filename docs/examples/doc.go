// Package examples holds no code of its own: its test checks the generated AsyncAPI catalogue
// (docs/asyncapi.yaml) and the programs under it are examples for integrators.
package examples
