import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/** The file's operations inside an exclusive task. */
export interface JsonLinesOps {
  append(values: readonly unknown[]): Promise<void>;
  read(each: (value: unknown) => void): Promise<void>;
}

/**
 * An append-only JSON-lines file. Appends and reads of one instance run one at a time, in call
 * order, and each append is one write of whole lines, so lines never interleave. A last line left
 * without its newline (a crash mid-write) is closed before the next append and skipped on reading.
 * One process writes a file; replicas need a shared store (see ARCHITECTURE.md, "Replicas").
 */
export class JsonLinesFile {
  private queue: Promise<unknown> = Promise.resolve();
  private tailChecked = false;
  private readonly ops: JsonLinesOps = {
    append: (values) => this.appendNow(values),
    read: (each) => this.readNow(each),
  };

  constructor(readonly file: string) {}

  /** Creates the file's folder now, so a store that cannot write fails at start, not on first use. */
  ensureFolder(): this {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    return this;
  }

  /**
   * Runs `task` after every earlier append, read and task on this file, and before any later one.
   * The task gets the unqueued operations (calling the queued ones inside would wait forever).
   */
  exclusive<T>(task: (file: JsonLinesOps) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => task(this.ops));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every append, read and task queued so far has finished. */
  idle(): Promise<void> {
    return this.exclusive(async () => undefined);
  }

  /** Appends the values, one JSON line each. */
  append(values: readonly unknown[]): Promise<void> {
    return this.exclusive((file) => file.append(values));
  }

  /** Calls `each` with every whole line's value, oldest first (a missing file has none). */
  read(each: (value: unknown) => void): Promise<void> {
    return this.exclusive((file) => file.read(each));
  }

  /** Everything stored so far (for tests, tools and operators). */
  async readAll(): Promise<unknown[]> {
    const all: unknown[] = [];
    await this.read((v) => all.push(v));
    return all;
  }

  private async appendNow(values: readonly unknown[]): Promise<void> {
    if (values.length === 0) return;
    const text = values.map((v) => JSON.stringify(v) + '\n').join('');
    const prefix = this.tailChecked ? '' : await this.unterminatedTail();
    this.tailChecked = false; // until this write is known to have ended with its newline
    await fs.promises.appendFile(this.file, prefix + text, 'utf8');
    this.tailChecked = true;
  }

  private async readNow(each: (value: unknown) => void): Promise<void> {
    if (!fs.existsSync(this.file)) return;
    const lines = readline.createInterface({
      input: fs.createReadStream(this.file, 'utf8'),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue; // a line cut short by a crash
      }
      each(value);
    }
  }

  /** '\n' when the file ends inside a line, so the next append starts on a line of its own. */
  private async unterminatedTail(): Promise<string> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(this.file, 'r');
      const { size } = await handle.stat();
      if (size === 0) return '';
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      return last[0] === 0x0a ? '' : '\n';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw e;
    } finally {
      await handle?.close();
    }
  }
}
