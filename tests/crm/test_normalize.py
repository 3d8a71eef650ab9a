from hypothesis import given, settings
from hypothesis import strategies as st

from crm.normalize import InvalidPhone, name_key, phone_normalize, phone_normalize_slow


def test_name_key_folds_case_space_and_unicode_forms():
    decomposed = "Nguye\u0302\u0303n  Thi\u0323  A\u0301nh "  # combining marks (NFD)
    assert name_key(decomposed) == name_key("NGUYỄN THỊ ÁNH")
    assert name_key("青島市XX建築有限公司") == name_key(" 青島市xx建築有限公司 ")
    assert name_key("Nguyễn Thị Ánh") != name_key("Nguyen Thi Anh")  # accents matter


def test_vietnamese_formats_are_one_number():
    forms = ["0912 345 678", "0912.345.678", "+84912345678", "+84 912 345 678", "(091) 2345678"]
    assert {phone_normalize(f, "VN") for f in forms} == {"+84912345678"}


def test_chinese_and_taiwanese_mobiles():
    assert phone_normalize("138 1234 5678", "CN") == "+8613812345678"
    assert phone_normalize("0912-345-678", "TW") == "+886912345678"
    assert phone_normalize("+84912345678", "TW") == "+84912345678"  # foreign numbers too


phone_text = st.one_of(
    st.text(alphabet="0123456789", min_size=6, max_size=13),
    st.builds(lambda p, d: p + d, st.sampled_from(["0", "+84", "+86", "+886", "1", "09", "03"]),
              st.text(alphabet="0123456789 .-", min_size=5, max_size=12)),
)


@settings(max_examples=3000, deadline=None)
@given(raw=phone_text, region=st.sampled_from(["VN", "CN", "TW"]))
def test_fast_path_agrees_with_phonenumbers(raw, region):
    def outcome(fn):
        try:
            return fn(raw, region)
        except InvalidPhone:
            return None

    assert outcome(phone_normalize) == outcome(phone_normalize_slow)
