// The public face of the regexp module: user-supplied patterns with Go's regexp semantics (RE2).
export {
  compileGoRegexp,
  GoRegexpError,
  MAX_PATTERN_LENGTH,
  MAX_PROGRAM_SIZE,
  type GoRegexp,
} from './go-regexp';
