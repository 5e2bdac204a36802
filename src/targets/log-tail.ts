/** Keeps the last lines a process printed, so a failure can show them. */
export class LogTail {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly listeners: Array<(line: string) => void> = [];

  constructor(private readonly capacity = 200) {}

  /** Feeds a chunk of output; complete lines are kept and passed to listeners. */
  push(chunk: string | Buffer): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line.replace(/\r$/, ''));
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  last(count = 20): string[] {
    const lines = this.partial === '' ? this.lines : [...this.lines, this.partial];
    return lines.slice(-count);
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    for (const listener of this.listeners) listener(line);
  }
}
