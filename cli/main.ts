#!/usr/bin/env node
/**
 * The kentry command line (DESIGN.md §6). Only this layer touches Node:
 * files, process, exit codes. Errors are one line on stderr:
 *   exit 2  bad input (unknown struct or design, unreadable or bad file)
 *   exit 70 a kentry bug (EX_SOFTWARE); set KENTRY_DEBUG=1 for the stack
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { layoutJson } from '../src/abi/layout-json.js';
import { BUILTIN_DESIGNS, DEFAULT_DESIGN, designStruct } from '../src/design/registry.js';
import { KentryError, NotModelledError, UsageError } from '../src/lib/errors.js';
import { auditDesign, auditJson, auditStatus, formatAudit } from './audit.js';
import { loadDesign } from './design-arg.js';
import { demoJson, formatComparison, formatScenario, runDemo } from './demo.js';
import { formatDesigns, formatLayout } from './format.js';
import { formatTasks } from './tasks.js';
import { LineBuffer, runProgram } from './run.js';
import { formatInsnEvent, formatTraceEvent, insnEventJson, traceEventJson, type InsnTraceSink } from './trace-format.js';
import type { EntryTraceEvent, EntryTraceSink } from '../src/kernel/arch/x86/entry-trace.js';
import { runTasks } from '../src/kernel/scenario/tasks-run.js';
import { runAudit } from '../src/kernel/audit/audit.js';

const EXIT_USAGE = 2;
const EXIT_INTERNAL = 70;

function packageVersion(): string {
  // Walk up from this file: it runs as cli/main.ts in tests and dist/cli/main.js when built.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kentry' && pkg.version) return pkg.version;
    } catch {
      // not here; keep walking
    }
  }
  return 'unknown';
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** A decimal integer option (commander hands strings over). */
function integerArg(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} must be a positive integer, not '${text}'`);
  return Number(text);
}

const designNames = BUILTIN_DESIGNS.map((d) => d.name).join(', ');

function buildProgram(): Command {
  const program = new Command('kentry')
    .description(
      'An executable, byte-accurate model of how Linux enters and leaves the kernel on x86-64,\n' +
        'with the extended pt_regs designs of the December 2020 discussion side by side.',
    )
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // commander's own usage errors: keep them to one line.
      outputError: (str, write) => write(str.trim().split('\n')[0]!.replace(/^error: /, 'kentry: ') + '\n'),
    });

  program
    .command('demo')
    .description('the built-in PKS scenario on the modelled kernel, per design: syscall → PKS key 1 → timer IRQ → #PF (PK) → NMI')
    .addOption(new Option('--design <name>', `a design (${designNames}) or all`).default('all'))
    .option('--json', 'machine-readable: {"designs":[{"name","levels":[...],"invariants":{...},...}]}')
    .action((opts: { design: string; json?: boolean }) => {
      const designs = opts.design === 'all' ? BUILTIN_DESIGNS : [loadDesign(opts.design)];
      const results = runDemo(designs);
      if (opts.json) {
        printJson(demoJson(results));
        return;
      }
      print(results.map(({ design, result }) => formatScenario(design, result)).join('\n\n'));
      if (results.length > 1) print('\ncomparison:\n' + formatComparison(results));
    });

  program
    .command('run')
    .description('run a static x86-64 Linux program on the modelled kernel; exit status is the program\'s (128 + signal if killed)')
    .argument('<program>', 'a static ELF64 x86-64 executable')
    .argument('[args...]', 'its arguments (put -- before them)')
    .option('--design <name|file.json>', `a built-in design (${designNames}) or a DesignSpec JSON file`, DEFAULT_DESIGN)
    .option('--max-insns <n>', 'stop after this many guest instructions (exit 124)', '10000000000')
    .addOption(new Option('--trace <what>', 'to stderr: one line per kernel entry (entry), or also per instruction, user and kernel (insn)')
      .choices(['entry', 'insn']))
    .option('--json-trace <file>', 'write every kernel entry (and with --trace insn every instruction) as a JSON line to FILE')
    .option('--core <file>', 'on a core-dumping signal write an ELF core to FILE, whatever RLIMIT_CORE says')
    .option('--no-core', 'never write a core file (default: `core` once the program raised RLIMIT_CORE, as Linux does)')
    .action((prog: string, args: string[], opts: {
      design: string; maxInsns: string; trace?: string; jsonTrace?: string; core?: string | boolean;
    }) => {
      const design = loadDesign(opts.design);
      const maxInsns = integerArg('--max-insns', opts.maxInsns);
      let fd: number | null = null;
      if (opts.jsonTrace !== undefined) {
        try {
          fd = openSync(opts.jsonTrace, 'w');
        } catch (e) {
          throw new UsageError(`cannot write '${opts.jsonTrace}': ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
        }
      }
      const jsonFd = fd;
      const insn = opts.trace === 'insn';
      // With --trace insn, entry and instruction lines share one buffer per file so they stay in order.
      const stderr = insn ? new LineBuffer(2) : null;
      const json = insn && jsonFd !== null ? new LineBuffer(jsonFd) : null;
      const sinks: EntryTraceSink[] = [];
      if (stderr) sinks.push((e) => stderr.write(formatTraceEvent(e)));
      else if (opts.trace === 'entry') sinks.push((e) => process.stderr.write(formatTraceEvent(e) + '\n'));
      if (json) sinks.push((e) => json.write(traceEventJson(e)));
      else if (jsonFd !== null) sinks.push((e) => writeSync(jsonFd, traceEventJson(e) + '\n'));
      const insnTrace: InsnTraceSink = (e) => {
        stderr?.write(formatInsnEvent(e));
        json?.write(insnEventJson(e));
        // Kernel C may write the guest's output: everything traced before it goes out first.
        if (e.kind === 'native') {
          stderr?.flush();
          json?.flush();
        }
      };
      try {
        const r = runProgram(design, prog, args, {
          maxInsns,
          core: opts.core === false ? 'none' : typeof opts.core === 'string' ? { path: opts.core } : 'rlimit',
          ...(sinks.length > 0 ? { trace: (e: EntryTraceEvent) => sinks.forEach((s) => s(e)) } : {}),
          ...(insn ? { insnTrace } : {}),
        });
        stderr?.flush();
        if (r.message) process.stderr.write(r.message + '\n');
        runStatus = r.status;
      } finally {
        stderr?.flush();
        json?.flush();
        if (jsonFd !== null) closeSync(jsonFd);
      }
    });

  program
    .command('tasks')
    .description('the idle task, two kernel threads and a user task sharing the CPU on a timer: context switches, per-thread PKRS')
    .option('--design <name|file.json>', `a built-in design (${designNames}) or a DesignSpec JSON file`, DEFAULT_DESIGN)
    .option('--insns <n>', 'instructions to run', '200000')
    .option('--timer <n>', 'timer period in instructions', '2000')
    .option('--json', 'machine-readable: {design, ticks, switches, tasks:[{pid,name,kind,switchIns,threadPkrs,pkrsAtTicks,work}], ...}')
    .action((opts: { design: string; insns: string; timer: string; json?: boolean }) => {
      const result = runTasks(loadDesign(opts.design), {
        instructions: integerArg('--insns', opts.insns),
        timerEvery: integerArg('--timer', opts.timer),
      });
      if (opts.json) printJson(result);
      else print(formatTasks(result));
    });

  program
    .command('designs')
    .description('the built-in designs: where each keeps per-entry state')
    .option('--json', 'machine-readable: each design\'s spec and derived facts')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        printJson(
          BUILTIN_DESIGNS.map((d) => ({
            name: d.name,
            spec: d.spec,
            ptRegsSize: d.ptRegs.size,
            belowPtRegs: d.extension?.belowPtRegs ?? 0,
            extension: d.extension?.layout.name ?? null,
            irqentryStateSize: d.irqentryState?.size ?? null,
            slots: d.slots,
            pkrsReach: d.pkrsReach,
          })),
        );
      } else {
        print(formatDesigns(BUILTIN_DESIGNS));
      }
    });

  program
    .command('layout')
    .description('a struct\'s fields, offsets and size under a design (pt_regs, extended_pt_regs, sigcontext, ucontext, rt_sigframe, siginfo, ...)')
    .argument('<struct>', 'struct name, e.g. pt_regs')
    .option('--design <name|file.json>', `a built-in design (${designNames}) or a DesignSpec JSON file`, DEFAULT_DESIGN)
    .option('--json', 'machine-readable: {name, size, align, fields, flat, aliases}')
    .action((name: string, opts: { design: string; json?: boolean }) => {
      const design = loadDesign(opts.design);
      const layout = designStruct(design, name);
      if (opts.json) printJson(layoutJson(layout));
      else print(formatLayout(layout, design.name));
    });

  program
    .command('audit')
    .description('every modelled ABI consumer of pt_regs run under a design and under upstream: what each reads, what differs (exit 1 when one does)')
    .option('--design <name|file.json>', `a built-in design (${designNames}) or a DesignSpec JSON file (default ${DEFAULT_DESIGN})`)
    .option('--layout <file>', 'a DesignSpec JSON file (as --design FILE.json)')
    .option('--json', 'machine-readable: {design, against, differs, consumers:[{id, consumer, reach, status, differences, note}]}')
    .action((opts: { design?: string; layout?: string; json?: boolean }) => {
      const report = runAudit(auditDesign(opts));
      if (opts.json) printJson(auditJson(report));
      else print(formatAudit(report));
      runStatus = auditStatus(report);
    });

  return program;
}

/** The exit status `kentry run` hands back (the guest's). */
let runStatus = 0;

function main(argv: readonly string[]): number {
  try {
    buildProgram().parse(argv as string[]);
    return runStatus;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; commander already printed its one-line error.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof NotModelledError) {
      process.stderr.write(`kentry: not modelled yet: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`kentry: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const what = e instanceof KentryError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`kentry: internal error: ${what} (this is a kentry bug; KENTRY_DEBUG=1 shows the stack)\n`);
    if (process.env['KENTRY_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    return EXIT_INTERNAL;
  }
}

process.exitCode = main(process.argv);
