/* A stand-in for bcryptprimitives.dll, for the wine tests only (never shipped).
 *
 * Rust's standard library (1.78 and later) draws its random numbers (HashMap keys...) from
 * ProcessPrng in bcryptprimitives.dll, which Windows 10 and later have and Debian 12's
 * wine 8.0 lacks: without it credtray.exe does not start under wine. This DLL exports
 * ProcessPrng over BCryptGenRandom, which wine has; run.sh builds it with mingw-w64 and
 * puts it in the test prefix's system32. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
