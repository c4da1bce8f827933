/* What credtray's Sessions window shows, read from its list view the way an accessibility
 * tool would: the window is found by its class (credtraySessions), its SysListView32's
 * lines are counted (LVM_GETITEMCOUNT) and each cell is read with LVM_GETITEMTEXTW into
 * memory allocated in credtray's process (the list view writes into its own address
 * space). Prints "visible" or "hidden", then one line per row, its cells separated by
 * tabs, in UTF-8; exit 2 when there is no such window. Built by tests/wine/run.sh. */
#include <windows.h>
#include <commctrl.h>
#include <stdio.h>

#define COLUMNS 6
#define CELL 512

int main(void) {
    HWND window = FindWindowW(L"credtraySessions", NULL);
    if (!window) {
        puts("no window");
        return 2;
    }
    HWND list = FindWindowExW(window, NULL, L"SysListView32", NULL);
    if (!list) {
        puts("no list");
        return 2;
    }
    puts(IsWindowVisible(window) ? "visible" : "hidden");
    DWORD pid = 0;
    GetWindowThreadProcessId(list, &pid);
    HANDLE process = OpenProcess(PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE,
                                 FALSE, pid);
    if (!process) {
        puts("cannot open the process");
        return 3;
    }
    SIZE_T size = sizeof(LVITEMW) + CELL * sizeof(WCHAR);
    char *remote = VirtualAllocEx(process, NULL, size, MEM_COMMIT, PAGE_READWRITE);
    if (!remote) {
        puts("cannot allocate");
        return 3;
    }
    LRESULT count = SendMessageW(list, LVM_GETITEMCOUNT, 0, 0);
    for (LRESULT i = 0; i < count; i++) {
        for (int c = 0; c < COLUMNS; c++) {
            LVITEMW item = {0};
            item.mask = LVIF_TEXT;
            item.iSubItem = c;
            item.pszText = (LPWSTR)(remote + sizeof(LVITEMW));
            item.cchTextMax = CELL;
            WCHAR text[CELL] = {0};
            SIZE_T done = 0;
            WriteProcessMemory(process, remote, &item, sizeof item, &done);
            SendMessageW(list, LVM_GETITEMTEXTW, (WPARAM)i, (LPARAM)remote);
            ReadProcessMemory(process, remote + sizeof(LVITEMW), text, sizeof text, &done);
            text[CELL - 1] = 0;
            char utf8[CELL * 4];
            WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8, sizeof utf8, NULL, NULL);
            printf("%s%s", c ? "\t" : "", utf8);
        }
        putchar('\n');
    }
    VirtualFreeEx(process, remote, 0, MEM_RELEASE);
    CloseHandle(process);
    return 0;
}
