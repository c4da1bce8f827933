/* trayrect: says whether Shell_NotifyIconGetRect is implemented here (wine tests only).
 *
 * tray-icon asks for the icon's rectangle before it reports a click or shows the menu, and
 * gives up when that fails; wine 8.0 answers E_NOTIMPL, so under wine no click on the icon
 * ever opens credtray's menu. Prints "implemented" (exit 0) or "not implemented" (exit 1). */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>

int main(void)
{
    NOTIFYICONIDENTIFIER id = { sizeof id };
    RECT rect;
    HRESULT hr = Shell_NotifyIconGetRect(&id, &rect);
    if (hr == E_NOTIMPL) {
        printf("not implemented\n");
        return 1;
    }
    printf("implemented\n");
    return 0;
}
