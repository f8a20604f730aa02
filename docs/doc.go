// Package docs holds no library code: its tests keep the figures of the README and of
// the documents in this folder true (each figure names the test that measures it), and
// they compile the README's programs.
package docs
