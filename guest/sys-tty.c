/* Terminal ioctls on a terminal: TIOCGWINSZ passes the host terminal's size through, TCGETS (isatty) succeeds. */
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
  struct winsize w = {0};
  struct termios t;
  int r = ioctl(1, TIOCGWINSZ, &w);
  int g = ioctl(0, TCGETS, &t);
  printf("TIOCGWINSZ %d: %d rows, %d cols; TCGETS %d, canonical %d; isatty %d %d %d\n", r, w.ws_row, w.ws_col, g,
         (t.c_lflag & ICANON) != 0, isatty(0), isatty(1), isatty(2));
  return 0;
}
