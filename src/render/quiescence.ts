// wait { min, max }: fire once changes have been quiet for `min`, or `max` after the first
// change of a burst, whichever comes first.
import type { WaitSpec } from './resource';

export class Quiescence {
  private minTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly wait: WaitSpec,
    private readonly fire: () => void,
  ) {}

  poke(): void {
    if (this.minTimer !== null) clearTimeout(this.minTimer);
    this.minTimer = setTimeout(() => this.flush(), this.wait.minMs);
    this.maxTimer ??= setTimeout(() => this.flush(), this.wait.maxMs);
  }

  cancel(): void {
    if (this.minTimer !== null) clearTimeout(this.minTimer);
    if (this.maxTimer !== null) clearTimeout(this.maxTimer);
    this.minTimer = null;
    this.maxTimer = null;
  }

  private flush(): void {
    this.cancel();
    this.fire();
  }
}
