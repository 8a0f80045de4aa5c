// Package web is ownervote's web console: the pages street and community
// staff use for the phone campaign (dashboard, call list, recording phone
// and visit votes signed in the browser) and committee members use to
// certify results. It is plain HTML, CSS and JavaScript modules, embedded
// in the binary and served by `ownervote serve` at "/"; it talks only to
// the JSON API under /v1 with the bearer token the user pasted, kept in the
// tab's sessionStorage.
//
// Staff and committee keys are Ed25519 keys made by WebCrypto in the
// browser, non-extractable, kept in IndexedDB; the public key is enrolled
// (SignerService.EnrolSigner) and approved by a street admin. The ballot
// encoder assets/js/ballot.js builds the canonical bytes of
// docs/ballot-format.md; a browser test checks it against
// ballot/testdata/vectors.json.
package web
