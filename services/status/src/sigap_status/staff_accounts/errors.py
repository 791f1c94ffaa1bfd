"""What can go wrong managing staff accounts, each with its own words (Indonesian and English);
errors.py maps their codes to problem responses."""

from __future__ import annotations

from sigap_shared.errors import Text
from sigap_status.errors import InvalidInput, StatusError


class StaffAccountError(StatusError):
    field: str = "username"


class AccountNotFound(StaffAccountError):
    def __init__(self, username: str) -> None:
        super().__init__(
            "staff-account-not-found",
            Text(f"Tidak ada akun petugas {username}.", f"There is no staff account {username}."),
        )


class UsernameTaken(StaffAccountError):
    def __init__(self, username: str) -> None:
        super().__init__(
            "username-taken",
            Text(f"Nama pengguna {username} sudah dipakai.", f"The username {username} is already taken."),
        )


class AccountInactive(StaffAccountError):
    def __init__(self, username: str) -> None:
        super().__init__(
            "staff-account-inactive",
            Text(
                f"Akun {username} tidak aktif. Aktifkan kembali dulu, lalu buat kode penyetelan.",
                f"The account {username} is not active. Reactivate it first, then issue a setup code.",
            ),
        )


class OwnAccount(StaffAccountError):
    def __init__(self) -> None:
        super().__init__(
            "own-account",
            Text(
                "Anda tidak dapat menonaktifkan akun Anda sendiri; minta admin kota lain melakukannya.",
                "You cannot deactivate your own account; ask another city admin to do it.",
            ),
        )


class InvalidSetupCode(StaffAccountError, InvalidInput):
    field = "code"

    def __init__(self) -> None:
        InvalidInput.__init__(
            self,
            "code",
            Text(
                "Kode penyetelan tidak cocok dengan nama pengguna ini, sudah dipakai, diganti kode baru, "
                "atau kedaluwarsa. Minta kode baru kepada admin kota.",
                "The setup code does not match this username, was already used, was replaced by a newer code "
                "or has expired. Ask the city admin for a new code.",
            ),
        )
