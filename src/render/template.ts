// The template engine: Handlebars with the renderer's helpers, no HTML escaping (these are
// config files), unknown helpers rejected at compile time, and every error located as file:line.
import Handlebars from 'handlebars';

import type { RenderContext } from './context';
import { handlebarsHelpers, HELPERS, HelperError } from './helpers';

const engine = Handlebars.create();
engine.registerHelper(handlebarsHelpers());

const KNOWN_HELPERS = Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true]));

export class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${detail}`);
    this.name = 'TemplateError';
  }
}

export class CompiledTemplate {
  private constructor(
    readonly name: string,
    private readonly run: Handlebars.TemplateDelegate,
  ) {}

  /** Compiles now (Handlebars would wait for the first render) so errors surface at once. */
  static compile(text: string, name: string, strict: boolean): CompiledTemplate {
    const options = { noEscape: true, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, strict };
    try {
      engine.precompile(text, options);
      return new CompiledTemplate(name, engine.compile(text, options));
    } catch (err) {
      throw locate(err, name);
    }
  }

  render(context: RenderContext): string {
    try {
      return this.run({}, { data: { consulate: context } });
    } catch (err) {
      throw locate(err, this.name);
    }
  }
}

function locate(err: unknown, file: string): TemplateError {
  if (err instanceof TemplateError) return err;
  if (err instanceof HelperError) return new TemplateError(file, err.line, err.message);
  const error = err instanceof Error ? err : new Error(String(err));
  const withLine = error as Error & { lineNumber?: number };
  if (typeof withLine.lineNumber === 'number') {
    return new TemplateError(file, withLine.lineNumber, error.message.replace(/ - \d+:\d+$/, ''));
  }
  const parse = /^Parse error on line (\d+):\n([\s\S]*)$/.exec(error.message);
  if (parse !== null) {
    return new TemplateError(
      file,
      Number(parse[1]),
      `parse error: ${parse[2].split('\n').pop() ?? ''}`,
    );
  }
  return new TemplateError(file, null, error.message);
}
