/**
 * Progress on stderr, so stdout holds only the results. On a terminal: one bar redrawn in place. Else
 * (CI logs, a pipe): a line at each quarter, so a log shows the run is alive without a line per photo.
 */
export interface Progress {
  /** Starts a phase of `total` steps. */
  phase(title: string, total: number): void;
  /** `done` steps of the current phase are finished; `note` is shown after the count. */
  update(done: number, note?: string): void;
  /** A line of its own, between bars. */
  log(line: string): void;
  /** Ends the current bar. */
  end(): void;
}

export function createProgress(out: NodeJS.WriteStream = process.stderr): Progress {
  const tty = out.isTTY === true;
  let title = '';
  let total = 0;
  let lastQuarter = -1;
  let open = false;

  const draw = (done: number, note: string) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((Math.min(done, total) / Math.max(total, 1)) * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      out.write(`\r\x1b[2K${title.padEnd(34)} ${bar} ${done}/${total}${note ? `  ${note}` : ''}`);
      open = true;
      return;
    }
    const quarter = Math.floor((done / Math.max(total, 1)) * 4);
    if (quarter === lastQuarter) return;
    lastQuarter = quarter;
    out.write(`${title}: ${done}/${total}${note ? `  ${note}` : ''}\n`);
  };
  const end = () => {
    if (open) out.write('\n');
    open = false;
  };

  return {
    phase(nextTitle, nextTotal) {
      end();
      title = nextTitle;
      total = nextTotal;
      lastQuarter = -1;
      draw(0, '');
    },
    update: (done, note = '') => draw(done, note),
    log(line) {
      end();
      out.write(`${line}\n`);
    },
    end,
  };
}
