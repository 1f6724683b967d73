/* Opens what a program may open under kentry: its own executable and /proc/self/maps. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char buf[4096];
  int fd = open("/proc/self/exe", O_RDONLY);
  ssize_t n = read(fd, buf, 4);
  printf("exe: fd %d, %zd bytes, magic %s\n", fd, n, memcmp(buf, "\177ELF", 4) == 0 ? "ELF" : "other");
  printf("lseek to 16: %ld\n", (long)lseek(fd, 16, SEEK_SET));
  close(fd);
  printf("close again: %d\n", close(fd));
  printf("missing file: %d\n", open("/no/such/file", O_RDONLY));
  printf("write open of the exe refused: %d\n", open("/proc/self/exe", O_WRONLY) < 0);
  FILE *maps = fopen("/proc/self/maps", "r");
  int lines = 0, stack = 0, exe = 0, heap = 0;
  while (fgets(buf, sizeof buf, maps)) {
    lines++;
    if (strstr(buf, "[stack]")) stack++;
    if (strstr(buf, "[heap]")) heap++;
    if (strstr(buf, argv[0] + (argv[0][0] == '.' ? 1 : 0))) exe++;
    /* Every line: start-end perms offset dev inode */
    unsigned long a, b, off;
    char perms[5];
    if (sscanf(buf, "%lx-%lx %4s %lx", &a, &b, perms, &off) != 4 || a >= b) printf("bad line: %s", buf);
  }
  fclose(maps);
  printf("maps: stack %d, heap %d, image lines %s\n", stack, heap, exe > 0 ? "yes" : "no");
  return 0;
}
