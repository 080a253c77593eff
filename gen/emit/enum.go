package emit

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/plan"
)

// enumType emits the named string type of an enum field:
//
//	// EventAction is the type of Event.Action: one of the EventAction
//	// constants.
//	type EventAction string
func enumType(e *plan.Enum) jen.Code {
	return jen.Add(doc(wrap(fmt.Sprintf("%s is the type of the %q property: one of the %s constants.", e.GoName, e.Field.IR.Name, e.GoName)))).Line().
		Type().Id(e.GoName).String()
}

// enumConsts emits one constant per value, in schema order:
//
//	// The values of EventAction.
//	const (
//		EventActionOpen  EventAction = "Open"
//		EventActionClose EventAction = "Close"
//	)
func enumConsts(e *plan.Enum) jen.Code {
	defs := make([]jen.Code, len(e.Consts))
	for i, c := range e.Consts {
		defs[i] = jen.Id(c).Id(e.GoName).Op("=").Lit(e.Values[i])
	}
	return jen.Add(doc(wrap(fmt.Sprintf("The values of %s.", e.GoName)))).Line().
		Const().Defs(defs...)
}

// enumValid emits the Valid method:
//
//	// Valid reports whether ea is one of the EventAction constants.
//	func (ea EventAction) Valid() bool {
//		switch ea {
//		case EventActionOpen, EventActionClose:
//			return true
//		}
//		return false
//	}
func enumValid(e *plan.Enum) jen.Code {
	consts := make([]jen.Code, len(e.Consts))
	for i, c := range e.Consts {
		consts[i] = jen.Id(c)
	}
	body := []jen.Code{jen.Return(jen.False())}
	if len(consts) > 0 {
		body = []jen.Code{
			jen.Switch(jen.Id(e.Receiver)).Block(
				jen.Case(consts...).Block(jen.Return(jen.True())),
			),
			jen.Return(jen.False()),
		}
	}
	return jen.Add(doc(wrap(fmt.Sprintf("Valid reports whether %s is one of the %s constants.", e.Receiver, e.GoName)))).Line().
		Func().Params(jen.Id(e.Receiver).Id(e.GoName)).Id("Valid").Params().Bool().Block(body...)
}
