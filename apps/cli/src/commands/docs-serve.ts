import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { loadProject } from '../preflight.js';
import { docsGenerateCommand } from './models-info.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.sql': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/**
 * `sluice docs serve`: serve the project's `target/` folder on 127.0.0.1 (the lineage page at `/`, the manifest
 * and compiled SQL beside it), generating the docs first when there are none. Prints the URL; stops on Ctrl-C
 * (exit 0, the normal way to stop it).
 */
export async function docsServeCommand(
  options: {
    project: string;
    target?: string;
    profilesDir?: string;
    vars?: Readonly<Record<string, unknown>>;
    port: number;
  },
  out: Output,
): Promise<number> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new CliError(`--port ${String(options.port)}: expected a port number (0 picks a free one)`, EXIT.usage);
  }
  const project = await loadProject(options.project, { needsSource: false, profilesDir: options.profilesDir });
  const root = path.join(project.dir, 'target');
  if (!existsSync(path.join(root, 'docs', 'index.html'))) {
    out.line(out.dim('no lineage page yet: generating it first'));
    const code = await docsGenerateCommand(
      {
        project: options.project,
        ...(options.target ? { target: options.target } : {}),
        ...(options.profilesDir ? { profilesDir: options.profilesDir } : {}),
        ...(options.vars ? { vars: options.vars } : {}),
        json: false,
      },
      out,
    );
    if (code !== EXIT.ok) return code;
  }
  const server = http.createServer((request, response) => {
    void serve(root, request.url ?? '/', response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              `port ${options.port} is in use on 127.0.0.1: pass --port with another one (0 picks a free one)`,
              EXIT.failed,
            )
          : error,
      ),
    );
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  out.line(`serving ${displayPath(root)} at http://127.0.0.1:${port}/  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.closeAllConnections();
      server.close(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  out.line('stopped');
  return EXIT.ok;
}

async function serve(root: string, url: string, response: http.ServerResponse): Promise<void> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    response.writeHead(400).end('bad request');
    return;
  }
  if (pathname === '/' || pathname === '/index.html') pathname = '/docs/index.html';
  const file = path.resolve(root, `.${pathname}`);
  // Never outside target/.
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) {
    response.writeHead(404).end('not found');
    return;
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    const body = await readFile(file);
    response
      .writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      })
      .end(body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  }
}
