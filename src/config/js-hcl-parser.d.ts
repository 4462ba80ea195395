// hashicorp/hcl v1 compiled to JavaScript: parse() returns the document as a JSON string, or an
// error text (`unable to parse JSON: At L:C: …`) instead of throwing.
declare module 'js-hcl-parser' {
  export function parse(input: string): string;
  export function stringify(json: string): string;
}
