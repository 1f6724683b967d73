/*
 * ptrace's fork events: a tracee with PTRACE_O_TRACEFORK|TRACEVFORK|
 * TRACEVFORKDONE|TRACEEXIT forks and vforks; the tracer sees the event
 * stops (GETEVENTMSG = the new pid), the new children born traced and
 * stopped by SIGSTOP, and each exit event (message = the wait status).
 * The tracer resumes every stop, suppressing signals; it prints each
 * process's own sequence of stops at the end (the processes interleave
 * differently from run to run, but each one's sequence does not).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXP 4
static pid_t pids[MAXP];
static const char *names[MAXP] = {"A", "G", "V", "?"};
static char logs[MAXP][2048];
static int np;

static int who(pid_t p) {
  for (int i = 0; i < np; i++) if (pids[i] == p) return i;
  if (np < MAXP) { pids[np] = p; return np++; }
  return MAXP - 1;
}

static void note(int i, const char *fmt, long a, long b) {
  char line[128];
  snprintf(line, sizeof line, fmt, a, b);
  strncat(logs[i], line, sizeof logs[i] - strlen(logs[i]) - 1);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t a = fork();
  if (a == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    pid_t g = fork();
    if (g == 0) _exit(11);
    int st;
    waitpid(g, &st, 0);
    pid_t v = vfork();
    if (v == 0) _exit(12);
    waitpid(v, &st, 0);
    _exit(13);
  }
  who(a);
  int status, live = 1, first = 1;
  while (live > 0) {
    pid_t p = waitpid(-1, &status, __WALL);
    if (p < 0) break;
    int i = who(p);
    if (WIFEXITED(status)) {
      note(i, " exit(%ld)", WEXITSTATUS(status), 0);
      live--;
      continue;
    }
    if (WIFSIGNALED(status)) {
      note(i, " killed(%ld)", WTERMSIG(status), 0);
      live--;
      continue;
    }
    int sig = WSTOPSIG(status), event = status >> 16;
    if (first) {
      first = 0;
      ptrace(PTRACE_SETOPTIONS, a, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXIT);
    }
    if (event) {
      unsigned long msg = 0;
      ptrace(PTRACE_GETEVENTMSG, p, 0, &msg);
      if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
        int c = who((pid_t)msg);
        live++;
        note(i, " event%ld->", event, 0);
        strncat(logs[i], names[c], 8);
      } else if (event == PTRACE_EVENT_EXIT) {
        note(i, " event%ld(msg 0x%lx)", event, (long)msg);
      } else {
        note(i, " event%ld", event, 0);
      }
    } else {
      note(i, " stop(%ld)", sig, 0);
    }
    ptrace(PTRACE_CONT, p, 0, 0);
  }
  for (int i = 0; i < np; i++) printf("%s:%s\n", names[i], logs[i]);
  return 0;
}
