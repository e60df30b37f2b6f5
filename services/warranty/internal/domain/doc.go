// Package domain holds the warranty rules of 三包 as pure code: policies as data, units and their
// repair history, service campaigns, and the deterministic claim evaluation and fee quotes.
package domain
