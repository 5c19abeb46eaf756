"""Bulk import from CSV (UTF-8, GBK) and .xlsx: all or nothing, with a row/field/reason report."""

import io

from openpyxl import Workbook

from .district_world import resident_id

DOORS_HEADER = "street,committee,site,building,door,install_type,installed_on,accepted_on,node_id\n"


def _post(client, world, kind, raw, who="street_a", content_type="text/csv"):
    return client.post(f"/imports/{kind}", content=raw, headers={
        **world.headers(who), "Content-Type": content_type})


def _count(client, world, path):
    return len(client.get(path, headers=world.headers("district")).json())


def test_doors_csv_utf8(client, world):
    csv = DOORS_HEADER + (
        "xinhua-road,a居委会,梅园小区,1号楼,main,retrofit,2012-03-01,2012-03-15,n-1\n"
        "新华路街道,xinhua-road-c1,梅园小区,2号楼,main,新装,,,\n")
    r = _post(client, world, "doors", csv.encode())
    assert r.status_code == 201, r.text
    assert r.json() == {"rows": 2, "created": {"sites": 1, "buildings": 2, "doors": 2}}
    assert _count(client, world, "/doors") == 6


def test_doors_csv_gbk_with_chinese_headers(client, world):
    csv = ("街道,居委会,小区,楼栋,门,安装类型,安装日期\n"
           "新华路街道,a居委会,樱花小区,5号楼,东门,加装,2012/04/01\n")
    r = _post(client, world, "doors", csv.encode("gbk"))
    assert r.status_code == 201, r.text
    door = [d for d in client.get("/doors", headers=world.headers("street_a")).json()
            if d["name"] == "东门"][0]
    assert door["install_type"] == "addon" and door["site_name"] == "樱花小区"


def test_broken_rows_store_nothing(client, world):
    csv = DOORS_HEADER + (
        "xinhua-road,a居委会,梅园小区,1号楼,main,retrofit,,,\n"
        "xinhua-road,a居委会,梅园小区,1号楼,side,magic,,,\n"            # bad install type
        "xinhua-road,a居委会,梅园小区,1号楼,back,new,2012-13-01,,\n"    # bad date
        "jiangsu-road,b居委会,x,1,y,new,,,\n"                          # another street
        "xinhua-road,a居委会,梅园小区,1号楼,main,new,,,\n"              # duplicate door
        "xinhua-road,a居委会,梅园小区,1号楼,extra,new,,,,,\n")          # too many cells
    r = _post(client, world, "doors", csv.encode())
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert [(p["row"], p["field"]) for p in problems] == [
        (3, "install_type"), (4, "installed_on"), (5, "street"), (6, "name"), (7, None)]
    assert _count(client, world, "/doors") == 4
    assert _count(client, world, "/sites") == 2  # the valid row's new site was rolled back too


def test_unknown_and_missing_columns(client, world):
    r = _post(client, world, "doors", b"street,colour\nxinhua-road,red\n")
    fields = {p["field"] for p in r.json()["detail"]["problems"]}
    assert r.status_code == 422 and "colour" in fields and "install_type" in fields


def test_undecodable_and_empty_files(client, world):
    r = _post(client, world, "doors", b"\xff\xfe\x00\x00" * 10)
    assert r.status_code == 422 and r.json()["detail"]["problems"][0]["row"] == 0
    assert _post(client, world, "doors", b"").status_code == 422
    r = _post(client, world, "doors", b"PK\x03\x04garbage", content_type="application/octet-stream")
    assert r.status_code == 422 and "xlsx" in r.json()["detail"]["problems"][0]["reason"]


def test_persons_csv_with_duplicates_in_file(client, world):
    rows = [
        ("王五", resident_id(21), "户籍", "", "否", "否"),
        ("赵六", resident_id(22), "来沪", "有效", "是", "否"),
        ("钱七", resident_id(21), "registered", "", "no", "no"),      # same ID as row 2
        ("孙八", resident_id(23)[:-1] + "Z", "registered", "", "", ""),  # bad check char
    ]
    csv = "姓名,身份证号,户籍类别,居住证,独居老人,残疾人,居委会,小区,楼栋\n" + "".join(
        ",".join(r) + ",a居委会,a小区,1号楼\n" for r in rows)
    r = _post(client, world, "persons", csv.encode("gbk"), who="committee_a")
    assert r.status_code == 422
    assert [(p["row"], p["field"]) for p in r.json()["detail"]["problems"]] == [
        (4, "id_number"), (5, "id_number")]
    assert _count(client, world, "/persons") == 0
    ok = csv.encode("gbk").split(b"\n")[:3]
    r = _post(client, world, "persons", b"\n".join(ok) + b"\n", who="committee_a")
    assert r.status_code == 201 and r.json()["created"] == {"persons": 2}
    people = client.get("/persons", headers=world.headers("committee_a")).json()
    assert [p["residence_permit"] for p in people] == [None, "valid"]
    assert people[1]["elderly_alone"] is True


def test_persons_xlsx(client, world):
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "id_number", "household", "committee", "site", "building", "doors"])
    sheet.append(["周九", resident_id(31), "registered", "a居委会", "a小区", "1号楼", "north"])
    buffer = io.BytesIO()
    book.save(buffer)
    r = _post(client, world, "persons", buffer.getvalue(), who="committee_a",
              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 201, r.text
    person = client.get("/persons", headers=world.headers("committee_a")).json()[0]
    assert person["door_ids"] == [world.doors_a[0]]


def test_import_roles(client, world):
    assert _post(client, world, "doors", DOORS_HEADER.encode(), who="committee_a").status_code == 403
    assert _post(client, world, "persons", b"name\n", who="installer_a").status_code == 403
