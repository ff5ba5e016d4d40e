import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../../src/main/core/policy/run-command';

describe('runCommand', () => {
  it('returns stdout, stderr and the exit status without a shell', async () => {
    const result = await runCommand(process.execPath, [
      '-e',
      'process.stdout.write("out $HOME"); process.stderr.write("err"); process.exit(3)',
    ]);
    expect(result).toEqual({ exitCode: 3, stdout: 'out $HOME', stderr: 'err' });
  });

  it('returns status 0 on success', async () => {
    await expect(runCommand(process.execPath, ['-e', ''])).resolves.toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('rejects when the program cannot be started', async () => {
    await expect(runCommand('/nonexistent/reg.exe', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
