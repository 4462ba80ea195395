// The public face of the regexp module: user-supplied regular expressions with Go's RE2
// semantics (linear time), for filters, templates and prepared queries.
export { compileGoRegexp, GoRegexp, MAX_PATTERN_LENGTH, RegexpSyntaxError } from './go-regexp';
