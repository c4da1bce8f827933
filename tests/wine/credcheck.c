/* credcheck: looks at credtray's items in Credential Manager for the wine tests, without
 * ever printing a secret.
 *
 *   credcheck TARGET        reads the expected secret (one line, UTF-8) on standard input
 *                           and prints "same", "different" or "missing" for the generic
 *                           credential TARGET (keyring's "<account>.<service>"); exit 0
 *                           only for "same"
 *   credcheck --list SUFFIX prints the target names that end with SUFFIX, one a line
 *
 * keyring stores a password as UTF-16LE, so the comparison is made in UTF-16. */
#include <windows.h>
#include <wincred.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static int list(const wchar_t *suffix)
{
    DWORD count = 0;
    PCREDENTIALW *creds = NULL;
    size_t slen = wcslen(suffix);
    if (!CredEnumerateW(NULL, 0, &count, &creds))
        return GetLastError() == ERROR_NOT_FOUND ? 0 : 2;
    for (DWORD i = 0; i < count; i++) {
        const wchar_t *name = creds[i]->TargetName;
        size_t n = wcslen(name);
        if (n >= slen && wcscmp(name + n - slen, suffix) == 0) {
            char utf8[1024];
            int len = WideCharToMultiByte(CP_UTF8, 0, name, -1, utf8, sizeof utf8, NULL, NULL);
            if (len > 0)
                printf("%s\n", utf8);
        }
    }
    CredFree(creds);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc == 3 && wcscmp(argv[1], L"--list") == 0)
        return list(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: credcheck TARGET < secret | credcheck --list SUFFIX\n");
        return 2;
    }
    char line[8192];
    size_t got = fread(line, 1, sizeof line - 1, stdin);
    line[got] = 0;
    while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
        line[--got] = 0;
    wchar_t expected[8192];
    int wlen = got ? MultiByteToWideChar(CP_UTF8, 0, line, (int)got, expected, 8191) : 0;

    PCREDENTIALW cred = NULL;
    if (!CredReadW(argv[1], CRED_TYPE_GENERIC, 0, &cred)) {
        printf("missing\n");
        return 1;
    }
    int same = cred->CredentialBlobSize == (DWORD)wlen * sizeof(wchar_t) &&
               memcmp(cred->CredentialBlob, expected, cred->CredentialBlobSize) == 0;
    SecureZeroMemory(cred->CredentialBlob, cred->CredentialBlobSize);
    CredFree(cred);
    SecureZeroMemory(line, sizeof line);
    SecureZeroMemory(expected, sizeof expected);
    printf(same ? "same\n" : "different\n");
    return same ? 0 : 1;
}
