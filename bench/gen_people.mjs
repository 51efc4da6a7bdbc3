// Writes a CSV of N plausible people for `wangge import people` (bench/people.sh) to stdout:
// valid resident ID numbers (GB 11643 check character) with Liaocheng's county codes and birth
// dates from 1945 to 2013, unique by construction (county, birth date, sequence); mobile
// numbers; households of one to five people in houses of the grids given. The grids are filled
// one after the other (about N / grids people each), as a registry exported community by
// community lists them.
//   node bench/gen_people.mjs N GRID_CODE...
import { writeSync } from "node:fs";

const n = Number(process.argv[2] || 200000);
const grids = process.argv.slice(3);
if (!grids.length) throw new Error("usage: gen_people.mjs N GRID...");
const counties = ["371502", "371503", "371521", "371522", "371524", "371525", "371526", "371581"];
const surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕";
const given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅";
const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const checks = "10X98765432";
const relations = ["户主", "配偶", "子女", "子女", "父母"];
const day0 = Date.UTC(1945, 0, 1);
const days = 25000;

function idNumber(i) {
  const county = counties[i % counties.length];
  const j = Math.floor(i / counties.length);
  const d = new Date(day0 + (j % days) * 86400000);
  const seq = Math.floor(j / days);
  const body =
    county +
    d.getUTCFullYear() +
    String(d.getUTCMonth() + 1).padStart(2, "0") +
    String(d.getUTCDate()).padStart(2, "0") +
    String(seq).padStart(3, "0");
  let s = 0;
  for (let k = 0; k < 17; k++) s += Number(body[k]) * weights[k];
  return body + checks[s % 11];
}

const out = [];
let pending = "姓名,身份证号码,登记类型,网格编码,联系电话,地址,房间,户号,与户主关系\n";
let house = 0, left = 0, member = 0, grid = grids[0];
for (let i = 0; i < n; i++) {
  if (left === 0) {
    house++;
    left = 1 + (house * 7919) % 5;
    member = 0;
  }
  if (member === 0) grid = grids[Math.min(grids.length - 1, Math.floor(i * grids.length / n))];
  const name = surnames[(i * 31) % surnames.length] + given[(i * 17) % given.length] +
    (i % 3 ? given[(i * 13) % given.length] : "");
  const phone = "1" + (3 + (i % 6)) + String(100000000 + ((i * 7919) % 900000000)).slice(0, 9);
  const reg = i % 5 === 0 ? "流动" : "户籍";
  pending += `${name},${idNumber(i)},${reg},${grid},${phone},` +
    `东昌路${1 + (house >> 6)}号${1 + ((house >> 3) & 7)}单元,${100 + (house & 7)},` +
    `H${String(house).padStart(9, "0")},${relations[Math.min(member, 4)]}\n`;
  member++;
  left--;
  if (pending.length > 1 << 20) {
    writeSync(1, pending);
    pending = "";
  }
}
writeSync(1, pending);
