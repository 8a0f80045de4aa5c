// Package demo builds the demonstration community: a 166-household staff
// dormitory modelled on the story behind ownervote, with made-up owners.
//
// Everything is generated deterministically from a fixed seed, so that every
// fresh demo server shows the same roll. Names are drawn from common
// surnames and given names; identity numbers use the region code 990000,
// which no real resident ID carries, with a valid check digit; phone
// numbers start with 100, which no Chinese mobile number does.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/tally"
)

// CommunityID is the demo community's id.
const CommunityID = "beizhai-jiguan"

// Community is the demo community.
var Community = roll.Community{
	ID:                 CommunityID,
	Name:               "北宅王哥庄机关宿舍楼",
	StreetOffice:       "金家岭街道",
	ResidentsCommittee: "惠都社区",
	HasOwnersCommittee: false,
}

// Households is the number of exclusive units in the demo community.
const Households = 166

var (
	surnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
	given    = []string{"建国", "秀英", "志强", "桂兰", "海燕", "玉梅", "国庆", "丽华", "振华", "淑珍", "红梅", "文斌", "晓东", "春生", "美玲", "德明", "雪梅", "宏伟", "凤英", "永刚", "素芳", "立新", "翠花", "卫东", "金凤", "学军", "秋菊", "家明", "慧敏", "长江"}
)

// Units returns the demo roll: 166 units in four buildings ("3-2-501" is
// building 3, entrance 2, floor 5, door 01), areas with two decimals, three
// owners holding two units each, one co-owned unit, three units the
// developer never sold and one sold but not yet delivered.
func Units() []roll.UnitInput {
	r := rand.New(rand.NewPCG(20260508, 1259))
	type layout struct{ building, entrances, floors int }
	var ids []string
	for _, l := range []layout{{1, 3, 6}, {2, 3, 6}, {3, 4, 6}, {4, 4, 6}} {
		for e := 1; e <= l.entrances; e++ {
			for f := 1; f <= l.floors; f++ {
				for d := 1; d <= 2; d++ {
					ids = append(ids, fmt.Sprintf("%d-%d-%d%02d", l.building, e, f, d))
				}
			}
		}
	}
	ids = ids[:Households]

	person := func(i int) roll.OwnerInput {
		name := string(surnames[r.IntN(len(surnames))]) + given[r.IntN(len(given))]
		birth := fmt.Sprintf("%04d%02d%02d", 1945+r.IntN(50), 1+r.IntN(12), 1+r.IntN(28))
		first17 := fmt.Sprintf("990000%s%03d", birth, i%1000)
		return roll.OwnerInput{
			Name:     name,
			IDNumber: first17 + string(roll.ResidentIDCheck(first17)),
			Phone:    fmt.Sprintf("100%08d", 53200000+i*7919%100000),
		}
	}
	area := func() string {
		// 48.00 to 118.99 m², most flats of such dormitories.
		return fmt.Sprintf("%d.%02d", 48+r.IntN(71), r.IntN(100))
	}

	units := make([]roll.UnitInput, len(ids))
	for i, id := range ids {
		u := roll.UnitInput{ID: id, Kind: roll.Person}
		switch i % 23 {
		case 7: // no registration yet: surveyed area only
			u.Surveyed = area()
		case 15: // only the sale contract's area
			u.Contract = area()
		default:
			u.Registered = area()
			if i%5 == 0 {
				// The survey rarely matches the register to the centimetre.
				reg, _ := tally.ParseArea(u.Registered)
				u.Surveyed = (reg + tally.Area(r.IntN(301)-150)).String()
			}
		}
		units[i] = u
	}
	developer := map[int]roll.Kind{162: roll.DeveloperUnsold, 163: roll.DeveloperUnsold, 164: roll.DeveloperUnsold, 165: roll.SoldUndelivered}
	multi := map[int]int{20: 3, 61: 50, 120: 119} // second unit -> first unit of the same owner
	const coOwned = 88
	owners := make(map[int]roll.OwnerInput)
	for i := range units {
		if k, ok := developer[i]; ok {
			units[i].Kind = k
			continue
		}
		if first, ok := multi[i]; ok {
			units[i].Owners = []roll.OwnerInput{owners[first]}
			continue
		}
		o := person(i)
		owners[i] = o
		units[i].Owners = []roll.OwnerInput{o}
		if i == coOwned {
			spouse := person(i + 500)
			units[i].Owners[0].Representative = true
			units[i].Owners = append(units[i].Owners, spouse)
		}
	}
	return units
}

// ProxyHolderIDNumber is the made-up identity number of the demo vote's
// i-th proxy holder (an owner's relative): region 990000 like the owners',
// born in 2000, as no demo owner is.
func ProxyHolderIDNumber(i int) string {
	first17 := fmt.Sprintf("99000020000101%03d", i%1000)
	return first17 + string(roll.ResidentIDCheck(first17))
}

// Seed creates the demo community and imports its roll, unless the
// community exists already; created reports which.
func Seed(ctx context.Context, book *roll.Book) (created bool, err error) {
	_, err = book.CreateCommunity(ctx, Community)
	if errors.Is(err, roll.ErrCommunityExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := book.Import(ctx, CommunityID, Units()); err != nil {
		return false, fmt.Errorf("demo: import: %w", err)
	}
	return true, nil
}
